// The parsers of the real data sets the demonstrations download: RFC 4180 CSV (quoted fields
// with commas, newlines and doubled quotes), the polarity rows, and Lee's rating matrix.
import Foundation
import XCTest
@testable import AfinaTasks

final class DataSetParsingTests: XCTestCase {
    func testCSVReadsQuotedCommasNewlinesAndDoubledQuotes() throws {
        let text = "text,label,source\n\"a, b\",1,imdb\n\"line one\nline two\",0,imdb\n\"say \"\"hi\"\"\",1,x\nplain,0,y\n"
        XCTAssertEqual(try CSV.rows(text), [["text", "label", "source"], ["a, b", "1", "imdb"],
                                           ["line one\nline two", "0", "imdb"], ["say \"hi\"", "1", "x"], ["plain", "0", "y"]])
        XCTAssertThrowsError(try CSV.rows("text\n\"never closed\n")) { XCTAssertTrue("\($0)".contains("not closed")) }
    }

    func testPolarityKeepsRottenTomatoesRowsAndNamesBadRows() throws {
        let csv = "text,label,source\n\"long imdb review, with commas\",1,imdb\nfine film .,1,rotten_tomatoes\ndull .,0,rotten_tomatoes\n"
        XCTAssertEqual(try PolarityTask.examples(fromCSV: csv),
                       [.init(text: "fine film .", label: "positive"), .init(text: "dull .", label: "negative")])
        XCTAssertThrowsError(try PolarityTask.examples(fromCSV: "text,label,source\nodd .,2,rotten_tomatoes\n")) {
            XCTAssertTrue("\($0)".contains("row 2 has label '2'"), "\($0)")
        }
        XCTAssertThrowsError(try PolarityTask.examples(fromCSV: "text,score\nx,1\n")) {
            XCTAssertTrue("\($0)".contains("expected the columns text, label, source"), "\($0)")
        }
    }

    func testLeePairsAreTheUpperTriangleAndAMisshapenMatrixIsRefused() throws {
        let pairs = try SimilarityTask.pairs(documents: "doc a\ndoc b\ndoc c\n", ratings: "1 0.5 0.2\n0.5 1 0.7\n0.2 0.7 1\n")
        XCTAssertEqual(pairs, [.init(a: "doc a", b: "doc b", score: 0.5), .init(a: "doc a", b: "doc c", score: 0.2),
                               .init(a: "doc b", b: "doc c", score: 0.7)])
        XCTAssertThrowsError(try SimilarityTask.pairs(documents: "doc a\ndoc b\n", ratings: "1 0.5\n"))
    }
}
