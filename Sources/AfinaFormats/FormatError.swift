// The one error type of every reader and writer in AfinaFormats. Its description names the
// file, says what is wrong, and where possible how to fix it (llama.cpp's loader and llm.c's
// HINT lines are the models).
import Foundation

/// A file that cannot be read or written as its format requires.
public struct FormatError: Error, CustomStringConvertible, Sendable {
    /// The file or directory at fault.
    public let path: String
    /// What is wrong, e.g. "truncated: tensor 'x' data ends at byte 9000 but the file has 8000 bytes".
    public let problem: String
    /// What the user can do about it, when there is something to say.
    public let hint: String?

    public init(_ url: URL, _ problem: String, hint: String? = nil) {
        path = url.path
        self.problem = problem
        self.hint = hint
    }

    public var description: String {
        "\(path): \(problem)" + (hint.map { " (hint: \($0))" } ?? "")
    }
}
