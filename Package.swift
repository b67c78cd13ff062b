// swift-tools-version: 6.0
//
// LatentSampling: data-efficient deep learning by adaptive sampling in a
// generative model's latent space.
//
// Module map (dependencies point down, toward the engine and the C wrappers;
// VasFEM also uses zlib (CZlib) for PNG masks and LAPACKE, gmsh directly):
//
//   Examples (SystemCheck, ...)      command-line tools
//              |                           |
//        LatentSampling (sampling core)   VasFEM (finite-element labeling tool)
//              |                           |
//        NeuralNetworks, Datasets          |
//              |                           |
//        TensorEngine                HDF5Store
//              |                           |
//   COpenBLAS (CBLAS + LAPACKE)   CHDF5   CGmsh   CZlib   <- C wrappers (system libraries)
//
// No `unsafeFlags` anywhere: packages that use them cannot be depended upon.
import PackageDescription

let package = Package(
    name: "LatentSampling",
    products: [
        .library(name: "LatentSampling", targets: ["LatentSampling"]),
        .library(name: "HDF5Store", targets: ["HDF5Store"]),
        .library(name: "VasFEM", targets: ["VasFEM"]),
        .executable(name: "vasfem", targets: ["VasFEMCommand"]),
        .executable(name: "system-check", targets: ["SystemCheck"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: C wrappers (system libraries; `setup.sh` installs them)
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .systemLibrary(
            name: "CGmsh",
            providers: [.apt(["libgmsh-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // MARK: HDF5 store
        .target(name: "HDF5Store", dependencies: ["CHDF5"]),
        .testTarget(name: "HDF5StoreTests", dependencies: ["HDF5Store"]),

        // MARK: Sampling core
        .target(name: "LatentSampling"),

        // MARK: VasFEM (finite-element stress labeler for vessel-wall masks)
        .target(name: "VasFEM", dependencies: ["LatentSampling", "HDF5Store", "COpenBLAS", "CGmsh", "CZlib"]),
        .executableTarget(
            name: "VasFEMCommand",
            dependencies: [
                "VasFEM", "HDF5Store", "COpenBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/vasfem"
        ),
        .testTarget(name: "VasFEMTests", dependencies: ["VasFEM", "HDF5Store"]),

        // MARK: Examples
        .executableTarget(
            name: "SystemCheck",
            dependencies: [
                "COpenBLAS", "CGmsh", "HDF5Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/SystemCheck"
        ),
    ]
)
