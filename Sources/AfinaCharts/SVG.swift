// The few SVG elements Afina's charts draw (loss curves, bias by occupation), written as
// text: coordinates rounded to 0.1 px, text XML-escaped.
import Foundation

public enum SVG {
    public static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double,
                            color: String = "#333", width: Double = 1) -> String {
        "<line x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\" "
            + "stroke=\"\(color)\" stroke-width=\"\(width)\"/>"
    }

    public static func text(_ x: Double, _ y: Double, _ anchor: String, _ content: String) -> String {
        "<text x=\"\(number(x))\" y=\"\(number(y))\" text-anchor=\"\(anchor)\">\(escaped(content))</text>"
    }

    public static func number(_ v: Double) -> String { String(format: "%.1f", v) }

    public static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
