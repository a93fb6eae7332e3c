// A line chart as hand-written SVG 1.1, so any browser shows it and no plotting library is
// needed: named series of points (with optional interval bars), horizontal reference levels
// (a model that is one number, with its interval as a band), a linear or log-10 x axis.
// Training loss curves and learning curves are drawn with it.
import Foundation

public struct LineChart: Sendable {
    public struct Point: Sendable {
        public var x: Double, y: Double
        /// An interval drawn as a vertical bar through the point (e.g. 95% bootstrap).
        public var interval: (low: Double, high: Double)?

        public init(x: Double, y: Double, interval: (low: Double, high: Double)? = nil) {
            (self.x, self.y, self.interval) = (x, y, interval)
        }
    }

    public struct Series: Sendable {
        public var name: String, color: String, points: [Point]
        /// Dots on every point (a lone point always gets one).
        public var dots: Bool

        public init(name: String, color: String, points: [Point], dots: Bool = true) {
            (self.name, self.color, self.points, self.dots) = (name, color, points, dots)
        }
    }

    /// A dashed horizontal line across the plot, labelled at its right end; its interval, if
    /// any, as a pale band.
    public struct Level: Sendable {
        public var name: String, color: String, y: Double
        public var interval: (low: Double, high: Double)?

        public init(name: String, color: String, y: Double, interval: (low: Double, high: Double)? = nil) {
            (self.name, self.color, self.y, self.interval) = (name, color, y, interval)
        }
    }

    public var title: String, xLabel: String, yLabel: String
    public var series: [Series], levels: [Level]
    /// Log-10 x axis, ticks at powers of ten (for training budgets spanning decades).
    public var logX: Bool
    /// The message drawn in an empty frame when there are no finite points.
    public var emptyMessage: String
    /// Where the legend of the series goes, inside the plot's right edge: at the top (falling
    /// curves) or the bottom (rising ones).
    public var legendAtBottom: Bool

    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]

    public init(title: String, xLabel: String, yLabel: String, series: [Series], levels: [Level] = [], logX: Bool = false,
                emptyMessage: String = "no points", legendAtBottom: Bool = false) {
        (self.title, self.xLabel, self.yLabel, self.series, self.levels) = (title, xLabel, yLabel, series, levels)
        (self.logX, self.emptyMessage, self.legendAtBottom) = (logX, emptyMessage, legendAtBottom)
    }

    /// The chart as an SVG document. Points with a non-finite coordinate (or x <= 0 on a log
    /// axis) are left out; with none left it is an empty frame holding `emptyMessage`.
    public func svg(width: Int = 720, height: Int = 420) -> String {
        let shown = series.map { s in
            Series(name: s.name, color: s.color, points: s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) },
                   dots: s.dots)
        }
        let plot = (left: 64.0, right: Double(width) - 36, top: 40.0, bottom: Double(height) - 48)
        var svg = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
                + "viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"16\">\(SVG.escaped(title))</text>",
        ]
        let frame = "<rect x=\"\(plot.left)\" y=\"\(plot.top)\" width=\"\(plot.right - plot.left)\" "
            + "height=\"\(plot.bottom - plot.top)\" fill=\"none\" stroke=\"#333\"/>"
        let points = shown.flatMap(\.points)
        guard !points.isEmpty else {
            svg.append(SVG.text(Double(width) / 2, Double(height) / 2, "middle", emptyMessage))
            return (svg + [frame, "</svg>"]).joined(separator: "\n") + "\n"
        }
        let ys = ChartAxis(points.flatMap { [$0.y] + [$0.interval?.low, $0.interval?.high].compactMap { $0 } }
            + levels.flatMap { [$0.y] + [$0.interval?.low, $0.interval?.high].compactMap { $0 } })
        let xs = logX ? ChartAxis(logDecades: points.map(\.x)) : ChartAxis(points.map(\.x))
        func px(_ x: Double) -> Double {
            let v = logX ? log10(x) : x
            return plot.left + (v - xs.low) / (xs.high - xs.low) * (plot.right - plot.left)
        }
        func py(_ y: Double) -> Double { plot.bottom - (y - ys.low) / (ys.high - ys.low) * (plot.bottom - plot.top) }

        for tick in xs.ticks {
            let x = plot.left + (tick - xs.low) / (xs.high - xs.low) * (plot.right - plot.left)
            svg.append(SVG.line(x, plot.bottom, x, plot.bottom + 5))
            svg.append(SVG.text(x, plot.bottom + 18, "middle", logX ? Self.grouped(pow(10, tick)) : xs.format(tick)))
        }
        for tick in ys.ticks {
            svg.append(SVG.line(plot.left - 5, py(tick), plot.left, py(tick)))
            svg.append(SVG.line(plot.left, py(tick), plot.right, py(tick), color: "#e5e5e5"))
            svg.append(SVG.text(plot.left - 8, py(tick) + 4, "end", ys.format(tick)))
        }
        var labelled: [Double] = []  // label baselines so far: a label that would overlap one goes below its line
        for level in levels {
            if let band = level.interval {
                svg.append("<rect x=\"\(SVG.number(plot.left))\" y=\"\(SVG.number(py(band.high)))\" "
                    + "width=\"\(SVG.number(plot.right - plot.left))\" height=\"\(SVG.number(py(band.low) - py(band.high)))\" "
                    + "fill=\"\(level.color)\" fill-opacity=\"0.12\"/>")
            }
            svg.append("<line class=\"level\" x1=\"\(SVG.number(plot.left))\" y1=\"\(SVG.number(py(level.y)))\" "
                + "x2=\"\(SVG.number(plot.right))\" y2=\"\(SVG.number(py(level.y)))\" stroke=\"\(level.color)\" "
                + "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>")
            let above = py(level.y) - 5, below = py(level.y) + 15
            let y = labelled.contains { abs($0 - above) < 14 } ? below : above
            labelled.append(y)
            svg.append(SVG.text(plot.right - 6, y, "end", level.name))
        }
        svg.append(frame)  // over the grid lines at the edges
        svg.append(SVG.text((plot.left + plot.right) / 2, Double(height) - 12, "middle", xLabel))
        svg.append("<text transform=\"translate(16 \((plot.top + plot.bottom) / 2)) rotate(-90)\" "
            + "text-anchor=\"middle\">\(SVG.escaped(yLabel))</text>")

        for s in shown where !s.points.isEmpty {
            let coordinates = s.points.map { "\(SVG.number(px($0.x))),\(SVG.number(py($0.y)))" }.joined(separator: " ")
            svg.append("<polyline class=\"\(SVG.escaped(s.name))\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\" "
                + "points=\"\(coordinates)\"/>")
            for point in s.points {
                if let bar = point.interval {
                    svg.append(SVG.line(px(point.x), py(bar.low), px(point.x), py(bar.high), color: s.color))
                }
                if s.dots || s.points.count == 1 {
                    svg.append("<circle cx=\"\(SVG.number(px(point.x)))\" cy=\"\(SVG.number(py(point.y)))\" r=\"3\" fill=\"\(s.color)\"/>")
                }
            }
        }
        let legend = shown.filter { !$0.points.isEmpty }
        let legendWidth = Double(legend.map(\.name.count).max() ?? 0) * 7 + 36
        for (i, s) in legend.enumerated() {
            let y = legendAtBottom ? plot.bottom - 10 - Double(legend.count - 1 - i) * 18 : plot.top + 16 + Double(i) * 18
            svg.append(SVG.line(plot.right - legendWidth, y - 4, plot.right - legendWidth + 20, y - 4, color: s.color, width: 2))
            svg.append(SVG.text(plot.right - legendWidth + 26, y, "start", s.name))
        }
        return (svg + ["</svg>"]).joined(separator: "\n") + "\n"
    }

    /// An integer with thousands separators (100000 -> "100,000").
    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        return digits.enumerated().map { i, c in (i > 0 && (digits.count - i) % 3 == 0 ? "," : "") + String(c) }.joined()
    }
}

/// A value range widened to round numbers, with about five evenly spaced ticks inside
/// ("nice numbers", Heckbert, Graphics Gems 1990).
public struct ChartAxis: Sendable {
    public let low: Double, high: Double, step: Double

    public init(_ values: [Double]) {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high - low < 1e-12 { (low, high) = (low - 1, high + 1) }
        let raw = (high - low) / 5
        let magnitude = pow(10, floor(log10(raw)))
        step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        self.low = floor(low / step) * step
        self.high = ceil(high / step) * step
    }

    /// A log-10 axis in decades: from the power of ten at or below the smallest value to the
    /// one at or above the largest, a tick at each (values in log10 units).
    init(logDecades values: [Double]) {
        let logs = values.map(log10)
        low = floor(logs.min() ?? 0)
        high = max(ceil(logs.max() ?? 1), low + 1)
        step = 1
    }

    public var ticks: [Double] {
        let count = Int(((high - low) / step).rounded())
        return (0...count).map { low + Double($0) * step }
    }

    /// `value` with as many decimals as the tick step needs (0.25 -> 2, 5 -> 0).
    public func format(_ value: Double) -> String {
        let decimals = (0...6).first { d in
            let scaled = step * pow(10, Double(d))
            return abs(scaled - scaled.rounded()) < 1e-6 * scaled
        } ?? 6
        return String(format: "%.\(decimals)f", abs(value) < step * 1e-9 ? 0 : value)
    }
}
