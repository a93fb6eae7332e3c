// swift-tools-version:6.1
import PackageDescription

// Portable x86-64 baseline with AVX2 + FMA + F16C: without a CPU target Swift emits
// scalar code for SIMD types and software Float16 conversion (see MACHINE-NOTES.md).
// 'haswell' is x86-64-v3's feature set; swiftc 6.3 rejects the name 'x86-64-v3'.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"])]

let package = Package(
    name: "Afina",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "afina", targets: ["afina"]),
        .executable(name: "afina-fuzz", targets: ["afina-fuzz"]),
        .library(name: "AfinaModels", targets: ["AfinaModels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // No traits: the server needs neither swift-configuration nor full Foundation.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CAfinaKernels", cSettings: [.unsafeFlags(["-O3", "-mavx2", "-mfma", "-mf16c"])]),
        // Open MPI, loaded with dlopen only when launched by mpirun (data-parallel training).
        .target(name: "CAfinaMPI", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "AfinaDistributed", dependencies: ["CAfinaMPI"]),
        .target(name: "AfinaTensor", dependencies: ["COpenBLAS", "CAfinaKernels"], swiftSettings: fastMath),
        .target(name: "AfinaFormats", dependencies: ["AfinaTensor"], swiftSettings: fastMath),
        .target(name: "AfinaTokenizers", dependencies: ["AfinaFormats"]),
        // Jinja subset for chat templates; JSONText (for `tojson`) is its only need from the rest of Afina.
        .target(name: "AfinaTemplates", dependencies: ["AfinaFormats"]),
        .target(name: "AfinaHub", dependencies: ["CZlib"], swiftSettings: fastMath),  // sha256 of pulled models
        // SVG charts training, eval and `afina chart` draw (loss and learning curves, bias by occupation).
        .target(name: "AfinaCharts"),
        .target(name: "AfinaModels",
                dependencies: ["AfinaTensor", "AfinaFormats", "AfinaTokenizers", "AfinaTemplates", "AfinaHub"],
                swiftSettings: fastMath),
        .target(name: "AfinaData", dependencies: ["AfinaTokenizers", "AfinaTemplates", "AfinaFormats", "AfinaHub"]),
        // Ready-made data sets built from public sources (the codespell spelling task).
        .target(name: "AfinaTasks", dependencies: ["AfinaData", "AfinaFormats", "AfinaHub"]),
        .target(name: "AfinaTraining",
                dependencies: ["AfinaModels", "AfinaData", "AfinaEval", "AfinaCharts", "AfinaDistributed",
                               .product(name: "Yams", package: "Yams")],
                swiftSettings: fastMath),
        .target(name: "AfinaEval",
                dependencies: ["AfinaModels", "AfinaData", "AfinaTemplates", "AfinaCharts", "AfinaDistributed"]),
        .target(name: "AfinaServing",
                dependencies: ["AfinaModels", "AfinaTemplates", .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "afina",
                          dependencies: ["AfinaModels", "AfinaData", "AfinaTasks", "AfinaTraining", "AfinaEval",
                                         "AfinaServing", "AfinaDistributed", "AfinaCharts",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Fuzz targets for the readers of untrusted files (scripts/fuzz.sh); built plainly it
        // replays inputs, with -sanitize=fuzzer it is a libFuzzer binary.
        .executableTarget(name: "afina-fuzz",
                          dependencies: ["AfinaFormats", "AfinaTokenizers", "AfinaTemplates", "AfinaData", "AfinaTraining",
                                         "AfinaServing"]),
        .testTarget(name: "AfinaTensorTests", dependencies: ["AfinaTensor"]),
        .testTarget(name: "AfinaFuzzTests", dependencies: ["afina-fuzz"]),
        .testTarget(name: "AfinaFormatsTests", dependencies: ["AfinaFormats"]),
        .testTarget(name: "AfinaTokenizersTests", dependencies: ["AfinaTokenizers"]),
        .testTarget(name: "AfinaTemplatesTests", dependencies: ["AfinaTemplates"]),
        .testTarget(name: "AfinaModelsTests", dependencies: ["AfinaModels"]),
        .testTarget(name: "AfinaHubTests", dependencies: ["AfinaHub"]),
        .testTarget(name: "AfinaChartsTests", dependencies: ["AfinaCharts"]),
        .testTarget(name: "AfinaDataTests", dependencies: ["AfinaData"]),
        .testTarget(name: "AfinaTasksTests", dependencies: ["AfinaTasks", "AfinaData"]),
        .testTarget(name: "AfinaTrainingTests", dependencies: ["AfinaTraining"]),
        .testTarget(name: "AfinaEvalTests", dependencies: ["AfinaEval"]),
        .testTarget(name: "AfinaServingTests",
                    dependencies: ["AfinaServing", "AfinaModels", "AfinaFormats", "AfinaHub",
                                   .product(name: "Hummingbird", package: "hummingbird"),
                                   .product(name: "Logging", package: "swift-log")]),
    ],
    swiftLanguageModes: [.v6]
)
