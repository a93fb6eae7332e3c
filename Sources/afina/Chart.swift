// afina chart: draw a line chart (SVG) from JSONL points, e.g. a learning curve against the
// scores of prompted models.
import AfinaCharts
import ArgumentParser
import Foundation

struct Chart: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a line chart (SVG) from JSONL points.",
        discussion: """
            Each line of FILE is {"series": NAME, "x": X, "y": Y} with an optional interval \
            {"low": L, "high": H} drawn as a bar; a line without "x" is a level, drawn as a dashed \
            line across the plot (its interval as a band): a model that is one number beside a \
            curve. scripts/small_beats_big.sh draws its learning curve this way.
            """)

    @Argument(help: "The JSONL points.") var file: String
    @Option(help: "Output SVG file.") var out: String
    @Option(help: "Title above the plot.") var title = ""
    @Option(name: .customLong("x-label"), help: "Label of the x axis.") var xLabel = "x"
    @Option(name: .customLong("y-label"), help: "Label of the y axis.") var yLabel = "y"
    @Flag(name: .customLong("log-x"), help: "Log-10 x axis (x must be positive).") var logX = false
    @Flag(name: .customLong("legend-bottom"), help: "Legend at the bottom right (for rising curves).") var legendBottom = false

    func run() throws {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ValidationError("\(file): cannot read (\(error.localizedDescription))")
        }
        let (series, levels) = try LineChart.data(jsonl: text, source: file)
        if logX, let bad = series.flatMap(\.points).first(where: { $0.x <= 0 }) {
            throw ValidationError("\(file): x = \(bad.x) cannot go on a log axis")
        }
        let chart = LineChart(title: title, xLabel: xLabel, yLabel: yLabel, series: series, levels: levels, logX: logX,
                              legendAtBottom: legendBottom)
        try Data(chart.svg().utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        print("wrote \(out): \(series.count) series, \(levels.count) levels")
    }
}
