// Peak resident memory from Linux's /proc/self/status (VmHWM, the high-water mark of VmRSS).
// The mark is process-wide; writing "5" to /proc/self/clear_refs (Linux 4.0+) resets it to
// the current RSS, which lets one process measure each model in turn. See proc(5).
import Foundation

public enum PeakMemory {
    /// Resets the high-water mark to the current RSS; false when the kernel does not allow it
    /// (then later peaks include everything before).
    @discardableResult
    public static func reset() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do { try handle.write(contentsOf: Data("5".utf8)) } catch { return false }
        return true
    }

    /// Peak resident set size in bytes since the process started or the last `reset()`; nil
    /// where /proc is missing.
    public static func peakResidentBytes() -> Int? { statusField("VmHWM") }

    /// Current resident set size in bytes.
    public static func residentBytes() -> Int? { statusField("VmRSS") }

    /// A `Name:   123 kB` line of /proc/self/status, in bytes.
    static func statusField(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let parts = line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = parts.first.flatMap({ Int($0) }) else { return nil }
            return parts.count > 1 && parts[1] == "kB" ? value * 1024 : value
        }
        return nil
    }
}
