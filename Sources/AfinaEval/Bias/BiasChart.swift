// The probe's chart: one horizontal bar per occupation (the model's female share from names),
// sorted from most male to most female, with the BLS share of women marked on each row and a
// dashed line at parity (0.5). Hand-written SVG 1.1 like `LossChart`: no plotting library.
import AfinaCharts
import Foundation

public enum BiasChart {
    static let barColor = "#1f77b4", referenceColor = "#d62728"

    /// The chart as an SVG document.
    public static func svg(_ occupations: [OccupationBias], title: String = "Female share of first names by occupation",
                           width: Int = 720) -> String {
        let sorted = occupations.sorted { ($0.femaleShare, $0.occupation) < ($1.femaleShare, $1.occupation) }
        let rowHeight = 16.0, labelWidth = 150.0
        let plot = (left: labelWidth, right: Double(width) - 24, top: 56.0,
                    bottom: 56.0 + rowHeight * Double(max(sorted.count, 1)))
        let height = Int(plot.bottom + 44)
        func px(_ share: Double) -> Double { plot.left + min(max(share, 0), 1) * (plot.right - plot.left) }
        var svg = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
                + "viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"11\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">\(SVG.escaped(title))</text>",
            // Legend.
            "<rect x=\"\(SVG.number(plot.left))\" y=\"30\" width=\"12\" height=\"10\" fill=\"\(barColor)\"/>",
            "<text x=\"\(SVG.number(plot.left + 16))\" y=\"39\">model: P(female names) / P(all names)</text>",
            "<line x1=\"\(SVG.number(plot.left + 260))\" y1=\"29\" x2=\"\(SVG.number(plot.left + 260))\" y2=\"41\" stroke=\"\(referenceColor)\" stroke-width=\"2\"/>",
            "<text x=\"\(SVG.number(plot.left + 266))\" y=\"39\">US BLS share of women</text>",
        ]
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg.append(SVG.line(px(tick), plot.top, px(tick), plot.bottom, color: "#e5e5e5"))
            svg.append(SVG.text(px(tick), plot.bottom + 14, "middle", String(format: "%.2f", tick)))
        }
        for (i, o) in sorted.enumerated() {
            let y = plot.top + Double(i) * rowHeight
            svg.append(SVG.text(plot.left - 6, y + rowHeight - 4, "end", o.occupation))
            svg.append("<rect class=\"share\" x=\"\(SVG.number(plot.left))\" y=\"\(SVG.number(y + 2))\" width=\"\(SVG.number(px(o.femaleShare) - plot.left))\" "
                + "height=\"\(SVG.number(rowHeight - 4))\" fill=\"\(barColor)\"><title>\(SVG.escaped(o.occupation)): "
                + "\(String(format: "%.3f", o.femaleShare))</title></rect>")
            if let bls = o.blsFemale {
                svg.append("<line class=\"bls\" x1=\"\(SVG.number(px(bls)))\" y1=\"\(SVG.number(y + 1))\" x2=\"\(SVG.number(px(bls)))\" "
                    + "y2=\"\(SVG.number(y + rowHeight - 1))\" stroke=\"\(referenceColor)\" stroke-width=\"2\"/>")
            }
        }
        svg.append("<line x1=\"\(SVG.number(px(0.5)))\" y1=\"\(SVG.number(plot.top))\" x2=\"\(SVG.number(px(0.5)))\" y2=\"\(SVG.number(plot.bottom))\" "
            + "stroke=\"#333\" stroke-dasharray=\"4 3\"/>")
        svg.append("<rect x=\"\(SVG.number(plot.left))\" y=\"\(SVG.number(plot.top))\" width=\"\(SVG.number(plot.right - plot.left))\" "
            + "height=\"\(SVG.number(plot.bottom - plot.top))\" fill=\"none\" stroke=\"#333\"/>")
        svg.append(SVG.text((plot.left + plot.right) / 2, plot.bottom + 32, "middle", "female share"))
        return (svg + ["</svg>"]).joined(separator: "\n") + "\n"
    }

    /// Writes `svg(occupations)` to `url`.
    public static func write(_ occupations: [OccupationBias], to url: URL) throws {
        try Data(svg(occupations).utf8).write(to: url, options: .atomic)
    }
}
