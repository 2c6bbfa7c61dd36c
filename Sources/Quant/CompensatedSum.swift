/// Neumaier (improved Kahan–Babuška) running sum.
///
/// Every statistic in this module that adds up a series goes through this accumulator, so a
/// result does not depend on how long the series is or on the order of large and small terms:
/// the error stays around one rounding of the final value instead of growing with `n`.
public struct CompensatedSum: Sendable {
    @usableFromInline var sum: Double = 0
    @usableFromInline var compensation: Double = 0

    @inlinable
    public init() {}

    /// Adds one term.
    @inlinable
    public mutating func add(_ term: Double) {
        let total = sum + term
        if abs(sum) >= abs(term) {
            compensation += (sum - total) + term
        } else {
            compensation += (term - total) + sum
        }
        sum = total
    }

    /// The compensated total.
    @inlinable
    public var value: Double { sum + compensation }
}

extension UnsafeBufferPointer where Element == Double {
    /// Compensated sum of the buffer.
    @inlinable
    func compensatedTotal() -> Double {
        var acc = CompensatedSum()
        for v in self { acc.add(v) }
        return acc.value
    }

    /// Mean with one refinement pass (mean of the residuals added back), accurate to about one
    /// rounding even for long series with a large common offset. NaN when empty.
    @inlinable
    func refinedMean() -> Double {
        guard !isEmpty else { return .nan }
        let n = Double(count)
        let first = compensatedTotal() / n
        guard first.isFinite else { return first }
        var residual = CompensatedSum()
        for v in self { residual.add(v - first) }
        return first + residual.value / n
    }
}
