// A file written under a temporary name in its destination's folder, flushed, then renamed
// into place, so that readers never see half a model (the safetensors and GGUF writers).
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct AtomicFile {
    private let fd: Int32
    private let url: URL

    /// Runs `body` with a file open for writing and moves it to `url` once `body` returns;
    /// on an error the temporary file is removed and `url` is left as it was.
    static func create(at url: URL, _ body: (AtomicFile) throws -> Void) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw FormatError(url, "cannot create \(temporary.lastPathComponent): \(errorText())") }
        do {
            defer { close(fd) }
            try body(AtomicFile(fd: fd, url: url))
            guard fsync(fd) == 0 else { throw FormatError(url, "cannot flush to disk: \(errorText())") }
        } catch {
            unlink(temporary.path)
            throw error
        }
        guard rename(temporary.path, url.path) == 0 else {
            let message = errorText()
            unlink(temporary.path)
            throw FormatError(url, "cannot rename \(temporary.lastPathComponent) into place: \(message)")
        }
    }

    func append(_ bytes: some ContiguousBytes) throws {
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FormatError(url, "cannot write: \(errorText())") }
                done += n
            }
        }
    }
}

private func errorText() -> String { String(cString: strerror(errno)) }
