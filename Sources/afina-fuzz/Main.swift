// afina-fuzz: fuzz targets for the readers of untrusted input (scripts/fuzz.sh).
//
// Built normally, it replays inputs: `afina-fuzz TARGET FILE|DIR...` runs each file once (the
// committed seeds and every input that once crashed, so they stay fixed). Built with
// `-sanitize=fuzzer,address -DAFINA_LIBFUZZER`, it is a libFuzzer binary: AFINA_FUZZ_TARGET
// names the target and the arguments are libFuzzer's (corpus folders, -max_total_time=...).
// SwiftPM makes this module's @main the program's entry point, so libFuzzer is started
// through its LLVMFuzzerRunDriver rather than its own main.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: size) } ?? Data()
    Fuzzing.target.run(data)
    return 0
}

enum Fuzzing {
    nonisolated(unsafe) static var target = FuzzTarget.gguf

    static func target(named name: String?) -> FuzzTarget {
        guard let name, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("target: one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }
}

#if AFINA_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func runLibFuzzer(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
enum FuzzMain {
    static func main() {
        Fuzzing.target = Fuzzing.target(named: ProcessInfo.processInfo.environment["AFINA_FUZZ_TARGET"])
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runLibFuzzer(&argc, &argv, fuzzOneInput))
    }
}
#else
@main
enum ReplayMain {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        Fuzzing.target = Fuzzing.target(named: arguments.first)
        var inputs: [URL] = []
        for path in arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                inputs.append(URL(fileURLWithPath: path))  // a file (one that is missing fails below)
                continue
            }
            let children = (try? FileManager.default.contentsOfDirectory(at: URL(fileURLWithPath: path), includingPropertiesForKeys: nil)) ?? []
            inputs += children.filter { !$0.hasDirectoryPath }.sorted { $0.path < $1.path }
        }
        for input in inputs {
            guard let data = FileManager.default.contents(atPath: input.path) else {
                FileHandle.standardError.write(Data("cannot read \(input.path)\n".utf8))
                exit(1)
            }
            Fuzzing.target.run(data)
        }
        print("\(Fuzzing.target.rawValue): \(inputs.count) inputs replayed, no crash")
    }
}
#endif
