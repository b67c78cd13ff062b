// swift-tools-version: 6.0
//
// A user's own package: it depends on LatentSampling by path, as a researcher's project
// would by URL, and conforms its own types to the core's roles, without the tensor engine:
//
//   UserModels   PCAGenerator (LatentEncoder + Generator, exact pullback),
//                LogisticRegression (TargetModel, plain Swift), BalanceLabeler (LabelingTool)
//   user-package runs SNN, random, SI and prior sampling through the core and checks the
//                results; it exits nonzero when a check fails (`.ci/run` builds and runs it).
//
// It depends only on the core's products: LatentSampling (which brings Randomness) and
// HDF5Store (for the results file). Neither TensorEngine nor OpenBLAS is built.
import PackageDescription

let package = Package(
    name: "UserPackage",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "LatentSampling", path: "../.."),
    ],
    targets: [
        .target(
            name: "UserModels",
            dependencies: [.product(name: "LatentSampling", package: "LatentSampling")]
        ),
        .executableTarget(
            name: "UserPackage",
            dependencies: [
                "UserModels",
                .product(name: "LatentSampling", package: "LatentSampling"),
                .product(name: "HDF5Store", package: "LatentSampling"),
            ]
        ),
    ]
)
