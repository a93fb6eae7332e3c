// Chart data as JSONL, one point per line, for `afina chart`: {"series", "x", "y"} with an
// optional interval {"low", "high"}; a line without "x" is a level (a model that is one number,
// drawn across the plot). Series and levels keep the order in which they first appear.
import Foundation

public struct ChartDataError: Error, CustomStringConvertible {
    public let description: String
}

extension LineChart {
    /// A value of a point's object: what the keys may hold, anything else kept apart.
    private enum Field: Decodable {
        case number(Double), string(String), other

        init(from decoder: Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let n = try? value.decode(Double.self), !((try? value.decode(Bool.self)) != nil) { self = .number(n) }
            else if let s = try? value.decode(String.self) { self = .string(s) }
            else { self = .other }
        }
    }

    /// The series and levels of `text`; `source` names the file in errors ("points.jsonl:3: ...").
    public static func data(jsonl text: String, source: String) throws -> (series: [Series], levels: [Level]) {
        var series: [Series] = [], levels: [Level] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            func fail(_ message: String) -> ChartDataError { ChartDataError(description: "\(source):\(i + 1): \(message)") }
            guard let object = try? JSONDecoder().decode([String: Field].self, from: Data(line.utf8)) else {
                throw fail("not a JSON object")
            }
            guard case .string(let name) = object["series"] else { throw fail("missing \"series\" (a string)") }
            func number(_ key: String) throws -> Double? {
                guard let value = object[key] else { return nil }
                guard case .number(let n) = value else { throw fail("\"\(key)\" is not a number") }
                return n
            }
            guard let y = try number("y") else { throw fail("missing \"y\" (a number)") }
            let low = try number("low"), high = try number("high")
            guard (low == nil) == (high == nil) else { throw fail("give both \"low\" and \"high\", or neither") }
            let interval = low.flatMap { low in high.map { (low: low, high: $0) } }
            let color = palette[(series.count + levels.count) % palette.count]
            if let x = try number("x") {
                if let s = series.firstIndex(where: { $0.name == name }) {
                    series[s].points.append(Point(x: x, y: y, interval: interval))
                } else {
                    guard !levels.contains(where: { $0.name == name }) else { throw fail("\(name) is a level (no \"x\") above") }
                    series.append(Series(name: name, color: color, points: [Point(x: x, y: y, interval: interval)]))
                }
            } else {
                guard !levels.contains(where: { $0.name == name }), !series.contains(where: { $0.name == name }) else {
                    throw fail("\(name) appears twice without \"x\" (a level is one number)")
                }
                levels.append(Level(name: name, color: color, y: y, interval: interval))
            }
        }
        return (series, levels)
    }
}
