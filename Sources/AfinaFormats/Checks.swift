// Overflow-checked size arithmetic for the readers and writers: dimensions come from files,
// so their products must be computed without trapping.

extension Array where Element == Int {
    /// The product of the elements, or nil if it overflows `Int` (1 for an empty array).
    var checkedProduct: Int? {
        var product = 1
        for n in self {
            let (p, overflow) = product.multipliedReportingOverflow(by: n)
            if overflow { return nil }
            product = p
        }
        return product
    }
}
