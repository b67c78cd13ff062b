// swift-tools-version: 6.0
//
// LatentSampling: data-efficient deep learning by adaptive sampling in a
// generative model's latent space.
//
// Module map (dependencies point down, toward the engine and the C wrappers):
//
//   Examples (SystemCheck, IVUSSI)        command-line tools (latent-sampling, vasfem, engine-bench)
//                 |                                   |
//   EngineModels (engine networks in the core's roles)   VasFEM (finite-element labeling tool)
//         |                   \                       |
//   NeuralNetworks, Datasets    LatentSampling (sampling core: roles, samplers, trainer, experiments)
//         |                   /                \
//   TensorEngine -> Randomness (seeded generator)    HDF5Store
//         |                                            |
//   COpenBLAS (CBLAS + LAPACKE)   CHDF5   CGmsh   CZlib      <- C wrappers (system libraries)
//   CTensorKernels (the engine's element-wise kernels in C, AVX2 + FMA chosen at start-up)
//
// Reports (figures as PNG and SVG, the HTML report; the `report` tool and `swift package report`)
// depends only on LatentSampling, HDF5Store and ImageFiles.
// ImageFiles (PNG decoding and encoding through zlib) depends only on CZlib; VasFEM reads mask
// PNGs with it, Reports writes figures with it.
// Datasets depends only on HDF5Store and CZlib (gzip), VasFEM on LatentSampling (for the
// LabelingTool role), HDF5Store, LAPACKE, gmsh and ImageFiles: neither on the engine.
//
// No `unsafeFlags` anywhere: packages that use them cannot be depended upon.
import PackageDescription

let package = Package(
    name: "LatentSampling",
    products: [
        .library(name: "LatentSampling", targets: ["LatentSampling"]),
        .library(name: "EngineModels", targets: ["EngineModels"]),
        .library(name: "HDF5Store", targets: ["HDF5Store"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "TensorEngine", targets: ["TensorEngine"]),
        .library(name: "Randomness", targets: ["Randomness"]),
        .library(name: "NeuralNetworks", targets: ["NeuralNetworks"]),
        .library(name: "VasFEM", targets: ["VasFEM"]),
        .executable(name: "vasfem", targets: ["VasFEMCommand"]),
        .executable(name: "system-check", targets: ["SystemCheck"]),
        .executable(name: "ivus-si", targets: ["IVUSSI"]),
        .executable(name: "engine-bench", targets: ["engine-bench"]),
        .executable(name: "latent-sampling", targets: ["LatentSamplingTool"]),
        // MARK: Reports (products)
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "ImageFiles", targets: ["ImageFiles"]),
        .executable(name: "report", targets: ["ReportTool"]),
        .plugin(name: "ReportPlugin", targets: ["ReportPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // DocC: `swift package generate-documentation --target LatentSampling` (Reports section).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
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

        // MARK: Dataset readers (IDX/MNIST, CIFAR-10, HDF5)
        .target(name: "Datasets", dependencies: ["CZlib", "HDF5Store"]),

        // MARK: Image files (PNG: every colour type and bit depth read, 8-bit RGBA written)
        .target(name: "ImageFiles", dependencies: ["CZlib"]),
        .testTarget(name: "ImageFilesTests", dependencies: ["ImageFiles"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),

        // MARK: Tensor engine and neural networks
        // CTensorKernels: element-wise kernels in C with AVX2 + FMA versions chosen at start-up
        // (source-level `target` attributes, no compiler flags).
        .target(name: "CTensorKernels"),
        .target(name: "TensorEngine", dependencies: ["Randomness", "COpenBLAS", "CTensorKernels"]),
        .target(name: "NeuralNetworks", dependencies: ["TensorEngine"]),
        .testTarget(name: "TensorEngineTests", dependencies: ["TensorEngine"]),
        .testTarget(
            name: "NeuralNetworksTests",
            dependencies: ["NeuralNetworks", "TensorEngine", "EngineModels", "HDF5Store"],
            resources: [.copy("Resources")]
        ),

        // MARK: Sampling core
        // Randomness: the seeded generator (xoshiro256**), dependency-free, shared by the core and
        // the engine (which re-exports it). The core depends on nothing else but HDF5Store: a user's
        // package needs neither the engine nor OpenBLAS (Tests/LatentSamplingTests/CoreDependencyTests
        // fails if this line regains an engine dependency; Examples/UserPackage builds against it).
        .target(name: "Randomness"),
        .target(name: "LatentSampling", dependencies: ["Randomness", "HDF5Store"]),
        .testTarget(name: "LatentSamplingTests", dependencies: ["LatentSampling", "Randomness", "HDF5Store"]),

        // MARK: Engine-built models in the core's roles (VAE as E and G, networks as F)
        .target(name: "EngineModels", dependencies: ["LatentSampling", "NeuralNetworks", "TensorEngine", "HDF5Store"]),
        .testTarget(name: "EngineModelsTests", dependencies: ["EngineModels", "LatentSampling", "NeuralNetworks", "TensorEngine", "HDF5Store"]),

        // MARK: Command-line tools
        // Range checks of numeric options, shared by every executable.
        .target(
            name: "OptionChecks",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "LatentSamplingTool",
            dependencies: [
                "LatentSampling", "EngineModels", "Datasets", "NeuralNetworks", "TensorEngine", "HDF5Store", "Reports",
                "OptionChecks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/latent-sampling"
        ),

        // MARK: VasFEM (finite-element stress labeler for vessel-wall masks)
        .target(name: "VasFEM", dependencies: ["LatentSampling", "HDF5Store", "COpenBLAS", "CGmsh", "ImageFiles"]),
        // MARK: VasFEM at scale (MPI ranks, Slurm shards): MPI is the command's alone, so that
        // users of the VasFEM library need no MPI.
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
        ),
        .executableTarget(
            name: "VasFEMCommand",
            dependencies: [
                "VasFEM", "HDF5Store", "COpenBLAS", "CMPI",
                "OptionChecks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/vasfem"
        ),
        .testTarget(name: "VasFEMTests", dependencies: ["VasFEM", "HDF5Store", "ImageFiles"]),

        // MARK: Reports: figures (PNG via zlib, SVG), the HTML report, the `report` tool and its
        // SwiftPM command plugin (`swift package report FILE.h5`).
        .target(name: "Reports", dependencies: ["LatentSampling", "HDF5Store", "ImageFiles"]),
        .executableTarget(
            name: "ReportTool",
            dependencies: ["Reports", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/report"
        ),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "LatentSampling", "HDF5Store", "ImageFiles"]),
        .plugin(
            name: "ReportPlugin",
            capability: .command(intent: .custom(verb: "report",
                                                 description: "Build the report tool and write HTML and figures of results files")),
            path: "Plugins/ReportPlugin"
        ),

        // MARK: Command-line tests: every executable run as a subprocess. Depending on the
        // executable targets makes `swift test` build them first.
        .testTarget(
            name: "CommandLineTests",
            dependencies: ["LatentSamplingTool", "VasFEMCommand", "IVUSSI", "engine-bench", "SystemCheck", "ReportTool", "HDF5Store",
                           "CommandLineTesting"]
        ),
        // Running executables from tests (a result type, time limits, expected failures), shared
        // by CommandLineTests and ExamplesTests.
        .target(name: "CommandLineTesting", path: "Tests/CommandLineTesting"),

        // MARK: Examples
        .executableTarget(
            name: "SystemCheck",
            dependencies: [
                "COpenBLAS", "CGmsh", "HDF5Store",
                "OptionChecks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/SystemCheck"
        ),
        .executableTarget(
            name: "IVUSSI",
            dependencies: [
                "LatentSampling", "EngineModels", "VasFEM", "NeuralNetworks", "TensorEngine", "HDF5Store", "Reports",
                "OptionChecks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/IVUSSI"
        ),
        .executableTarget(
            name: "engine-bench",
            dependencies: [
                "NeuralNetworks", "TensorEngine",
                "OptionChecks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)

// MARK: Examples of extending the framework (issue 12): an external labeling program, a generator
// that is not a network, and the paper's CIFAR-10 experiment. `Tests/ExamplesTests` runs each
// executable at a small size (depending on them makes `swift test` build them).
package.products += [
    .executable(name: "custom-labeling-tool", targets: ["CustomLabelingTool"]),
    .executable(name: "custom-generator", targets: ["CustomGenerator"]),
    .executable(name: "cifar10-alpha-gan", targets: ["CIFAR10AlphaGAN"]),
]
package.targets += [
    .executableTarget(
        name: "CustomLabelingTool",
        dependencies: [
            "LatentSampling", "EngineModels", "NeuralNetworks", "TensorEngine", "HDF5Store",
            "OptionChecks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Examples/CustomLabelingTool",
        resources: [.copy("wall_labels.py")]
    ),
    .executableTarget(
        name: "CustomGenerator",
        dependencies: [
            "LatentSampling", "EngineModels", "Datasets", "NeuralNetworks", "TensorEngine", "HDF5Store", "COpenBLAS",
            "OptionChecks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Examples/CustomGenerator"
    ),
    .executableTarget(
        name: "CIFAR10AlphaGAN",
        dependencies: [
            "LatentSampling", "EngineModels", "Datasets", "NeuralNetworks", "TensorEngine", "HDF5Store",
            "OptionChecks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Examples/CIFAR10AlphaGAN"
    ),
    .testTarget(
        name: "ExamplesTests",
        dependencies: ["CustomLabelingTool", "CustomGenerator", "CIFAR10AlphaGAN", "LatentSampling", "TensorEngine", "HDF5Store",
                       "CommandLineTesting"]
    ),
]
