// Cutting a list of sequences into forward passes: consecutive runs whose token counts add up
// to at most a limit, so activation memory stays bounded while products keep many rows. A
// sequence longer than the limit is a pass of its own. Training, the teacher cache and
// perplexity cut alike, and data-parallel ranks share out these same passes.
public enum Passes {
    /// Consecutive ranges covering `sizes.indices`, each holding at most `limit` in all (or one item).
    public static func ranges(sizes: [Int], limit: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var (start, total) = (0, 0)
        for (i, size) in sizes.enumerated() {
            if i > start, total + size > limit {
                ranges.append(start..<i)
                (start, total) = (i, 0)
            }
            total += size
        }
        if start < sizes.count { ranges.append(start..<sizes.count) }
        return ranges
    }
}
