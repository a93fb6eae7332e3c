// <run>/loss.svg: training loss (line) and validation loss (line with dots) against step.
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
        return LineChart(title: title, xLabel: "step", yLabel: "loss",
                         series: [LineChart.Series(name: "train", color: trainColor, points: train, dots: false),
                                  LineChart.Series(name: "validation", color: validationColor, points: validation)],
                         emptyMessage: "no loss recorded yet").svg(width: width, height: height)
    }

    /// Writes `svg(records, title:)` to `url` (usually `<run>/loss.svg`).
    public static func write(_ records: [MetricsRecord], to url: URL, title: String = "Loss") throws {
        try Data(svg(records, title: title).utf8).write(to: url, options: .atomic)
    }

    private static func points(_ records: [MetricsRecord], _ split: MetricsRecord.Split) -> [LineChart.Point] {
        records.filter { $0.split == split }.map { LineChart.Point(x: Double($0.step), y: $0.loss) }
    }
}
