// Kernels are chosen by the CPU at run time: the features Afina reads agree with the ones
// Linux lists in /proc/cpuinfo (an independent reader of the same CPUID bits), and OpenBLAS
// is moved off a weaker kernel family than the CPU runs, unless the user chose one.
import Foundation
import XCTest
@testable import AfinaTensor

final class KernelChoiceTests: XCTestCase {
    func testFeaturesAgreeWithProcCpuinfo() throws {
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try XCTUnwrap(info.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: " ").map(String.init))
        let expected: [(CPUFeatures, String)] = [
            (.avx2, "avx2"), (.fma, "fma"), (.avx512f, "avx512f"), (.avx512bw, "avx512bw"),
            (.avx512vnni, "avx512_vnni"), (.avx512bf16, "avx512_bf16"),
        ]
        for (feature, flag) in expected {
            XCTAssertEqual(CPUFeatures.current.contains(feature), flags.contains(flag), flag)
        }
        // AMX is reported only where the CPU has it (the OS may still refuse the tile state).
        if !flags.contains("amx_bf16") { XCTAssertFalse(CPUFeatures.current.contains(.amxBF16)) }
        if !flags.contains("amx_int8") { XCTAssertFalse(CPUFeatures.current.contains(.amxInt8)) }
    }

    func testOpenBLASIsMovedOffWeakerKernelFamilies() {
        let avx512: CPUFeatures = [.avx2, .fma, .avx512f, .avx512bw, .avx512bf16]
        let none: [String: String] = [:]
        // Debian's 0.3.21 on a newer Intel Xeon: generic kernels, replaced by AVX-512 ones.
        XCTAssertEqual(BLASKernels.replacementCore(current: "Prescott", features: avx512, environment: none), "SkylakeX")
        XCTAssertEqual(BLASKernels.replacementCore(current: "Haswell", features: avx512, environment: none), "SkylakeX")
        XCTAssertEqual(BLASKernels.replacementCore(current: "Nehalem", features: [.avx2, .fma], environment: none),
                       "Haswell")
        // Already the best tier: nothing to change.
        for core in ["Cooperlake", "SkylakeX", "SapphireRapids"] {
            XCTAssertNil(BLASKernels.replacementCore(current: core, features: avx512, environment: none), core)
        }
        XCTAssertNil(BLASKernels.replacementCore(current: "Zen", features: [.avx2, .fma], environment: none))
        XCTAssertNil(BLASKernels.replacementCore(current: "Prescott", features: [], environment: none))
        // A weaker family set in the environment is replaced too (the AMD machines set Haswell),
        // unless asked to keep it; a restarted process never restarts again.
        XCTAssertEqual(BLASKernels.replacementCore(current: "Haswell", features: avx512,
                                                   environment: ["OPENBLAS_CORETYPE": "Haswell"]), "SkylakeX")
        XCTAssertNil(BLASKernels.replacementCore(current: "Haswell", features: avx512,
                                                 environment: ["OPENBLAS_CORETYPE": "Haswell", "AFINA_KEEP_OPENBLAS_CORETYPE": "1"]))
        XCTAssertNil(BLASKernels.replacementCore(current: "Prescott", features: avx512,
                                                 environment: ["OPENBLAS_CORETYPE": "SkylakeX", BLASKernels.replacedKey: "Haswell"]))
    }

    func testBF16ProductsRunOnAMXWhereTheOSGrantsTheTileState() throws {
        if ProcessInfo.processInfo.environment["AFINA_BF16_KERNEL"] != nil { throw XCTSkip("kernel chosen by hand") }
        XCTAssertEqual(BF16Kernel.best == .amx, CPUFeatures.current.contains(.amxBF16))
        XCTAssertTrue(CPUBackend(precision: .bf16).kernels[1].kernel.contains(BF16Kernel.best.summary)
                      || !CPUFeatures.current.contains(.avx512bf16))
    }

    func testQuantizedDotsRunInt16OnAVX512WhereTheCPUHasIt() throws {
        if ProcessInfo.processInfo.environment["AFINA_DECODE_KERNEL"] != nil { throw XCTSkip("kernel chosen by hand") }
        XCTAssertEqual(DecodeDotKernel.best == .int16, CPUFeatures.current.isSuperset(of: [.avx512f, .avx512bw]))
        XCTAssertEqual(DecodeDotKernel.best.roundsActivations(for: .q4_K), DecodeDotKernel.best == .int16)
        XCTAssertFalse(DecodeDotKernel.best.roundsActivations(for: .q4_1))
        XCTAssertTrue(DecodeDotKernel.avx2.isAvailable || !CPUFeatures.current.contains(.avx2))
    }

    func testTheCPUBackendNamesItsKernels() {
        let roles = CPUBackend().kernels.map(\.role)
        XCTAssertEqual(roles.first, "cpu")
        XCTAssertTrue(roles.contains("float products"))
        XCTAssertTrue(CPUBackend().kernels[1].kernel.contains(BLASKernels.core))
    }
}
