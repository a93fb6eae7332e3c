// <run>/loss.svg: training loss (line) and validation loss (line with dots) against step,
// as hand-written SVG 1.1 so any browser shows it and no plotting library is needed.
import AfinaCharts
import Foundation

/// A line chart of the loss records of a run.
public enum LossChart {
    static let trainColor = "#1f77b4", validationColor = "#d62728"

    /// The chart as an SVG document. Non-finite losses are left out; with no points it is
    /// an empty frame that says so.
    public static func svg(_ records: [MetricsRecord], title: String = "Loss", width: Int = 720,
                           height: Int = 420) -> String {
        let train = points(records, .train), validation = points(records, .validation)
        let all = train + validation
        let plot = (left: 64.0, right: Double(width) - 20, top: 40.0, bottom: Double(height) - 48)
        var svg = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
                + "viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"16\">\(SVG.escaped(title))</text>",
        ]
        let frame = "<rect x=\"\(plot.left)\" y=\"\(plot.top)\" width=\"\(plot.right - plot.left)\" "
            + "height=\"\(plot.bottom - plot.top)\" fill=\"none\" stroke=\"#333\"/>"
        guard !all.isEmpty else {
            svg.append("<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\">no loss recorded yet</text>")
            return (svg + [frame, "</svg>"]).joined(separator: "\n") + "\n"
        }
        let xs = ChartAxis(all.map(\.x)), ys = ChartAxis(all.map(\.y))
        func px(_ x: Double) -> Double { plot.left + (x - xs.low) / (xs.high - xs.low) * (plot.right - plot.left) }
        func py(_ y: Double) -> Double { plot.bottom - (y - ys.low) / (ys.high - ys.low) * (plot.bottom - plot.top) }

        for tick in xs.ticks {
            svg.append(SVG.line(px(tick), plot.bottom, px(tick), plot.bottom + 5))
            svg.append(SVG.text(px(tick), plot.bottom + 18, "middle", xs.format(tick)))
        }
        for tick in ys.ticks {
            svg.append(SVG.line(plot.left - 5, py(tick), plot.left, py(tick)))
            svg.append(SVG.line(plot.left, py(tick), plot.right, py(tick), color: "#e5e5e5"))
            svg.append(SVG.text(plot.left - 8, py(tick) + 4, "end", ys.format(tick)))
        }
        svg.append(frame)  // over the grid lines at the edges
        svg.append(SVG.text((plot.left + plot.right) / 2, Double(height) - 12, "middle", "step"))
        svg.append("<text transform=\"translate(16 \((plot.top + plot.bottom) / 2)) rotate(-90)\" "
            + "text-anchor=\"middle\">loss</text>")

        var legend: [(String, String)] = []
        for (series, name, color) in [(train, "train", trainColor), (validation, "validation", validationColor)]
        where !series.isEmpty {
            let coordinates = series.map { "\(SVG.number(px($0.x))),\(SVG.number(py($0.y)))" }.joined(separator: " ")
            svg.append("<polyline class=\"\(name)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" "
                + "points=\"\(coordinates)\"/>")
            if name == "validation" || series.count == 1 {
                svg += series.map {
                    "<circle cx=\"\(SVG.number(px($0.x)))\" cy=\"\(SVG.number(py($0.y)))\" r=\"3\" fill=\"\(color)\"/>"
                }
            }
            legend.append((name, color))
        }
        for (i, (name, color)) in legend.enumerated() {
            let y = plot.top + 16 + Double(i) * 18
            svg.append(SVG.line(plot.right - 110, y - 4, plot.right - 90, y - 4, color: color, width: 2))
            svg.append(SVG.text(plot.right - 84, y, "start", name))
        }
        return (svg + ["</svg>"]).joined(separator: "\n") + "\n"
    }

    /// Writes `svg(records, title:)` to `url` (usually `<run>/loss.svg`).
    public static func write(_ records: [MetricsRecord], to url: URL, title: String = "Loss") throws {
        try Data(svg(records, title: title).utf8).write(to: url, options: .atomic)
    }

    private static func points(_ records: [MetricsRecord], _ split: MetricsRecord.Split) -> [(x: Double, y: Double)] {
        records.filter { $0.split == split && $0.loss.isFinite }.map { (Double($0.step), $0.loss) }
    }
}

/// A value range widened to round numbers, with about five evenly spaced ticks inside
/// ("nice numbers", Heckbert, Graphics Gems 1990).
struct ChartAxis {
    let low: Double, high: Double, step: Double

    init(_ values: [Double]) {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high - low < 1e-12 { (low, high) = (low - 1, high + 1) }
        let raw = (high - low) / 5
        let magnitude = pow(10, floor(log10(raw)))
        step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        self.low = floor(low / step) * step
        self.high = ceil(high / step) * step
    }

    var ticks: [Double] {
        let count = Int(((high - low) / step).rounded())
        return (0...count).map { low + Double($0) * step }
    }

    /// `value` with as many decimals as the tick step needs (0.25 -> 2, 5 -> 0).
    func format(_ value: Double) -> String {
        let decimals = (0...6).first { d in
            let scaled = step * pow(10, Double(d))
            return abs(scaled - scaled.rounded()) < 1e-6 * scaled
        } ?? 6
        return String(format: "%.\(decimals)f", abs(value) < step * 1e-9 ? 0 : value)
    }
}
