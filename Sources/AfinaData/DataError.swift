// The error AfinaData throws for bad training data, worded for the person who wrote the file.

/// A problem with training data or a data set download; `description` says where and what,
/// as `<file>:<line>: <what is wrong>` for a bad record.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// A problem with record `line` (1-based) of `file`.
    static func record(_ file: String, line: Int, _ problem: String) -> DataError {
        DataError("\(file):\(line): \(problem)")
    }
}
