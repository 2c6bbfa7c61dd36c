public import RemoraModel

/// A whale's position as Remora reconstructs it (its stored fills, net of markets resolved and
/// so redeemed) against the Data API's `/positions`: exits are measured against the first, so
/// what the trades do not explain — a conversion, a merge or transfer the trades do not list, a
/// fill the fetcher missed — shows here.
public enum PositionReconciliation {
    /// One token whose two figures differ by more than the tolerance.
    public struct Difference: Sendable, Equatable {
        public var asset: TokenID
        public var stored: Shares
        public var source: Shares
        public var gap: Shares { Shares(micros: source.micros - stored.micros) }
    }

    public struct Report: Sendable, Equatable {
        /// Tokens either side holds.
        public var tokens = 0
        /// Of them, the same size within the tolerance.
        public var agreeing = 0
        public var differences: [Difference] = []
        /// Tokens the API holds more of than the fills explain, by no more than the wallet's
        /// conversions may have paid in them: explained, not differences.
        public var received: [Difference] = []
    }

    /// `stored` and `source`: shares per token (a token held on neither side, or below the
    /// tolerance on both, is not counted). `received`: per token, the most the wallet's
    /// conversions may have paid in it (``Report/received``). Differences largest first.
    public static func compare(
        stored: [TokenID: Shares], source: [TokenID: Shares], received: [TokenID: Shares] = [:],
        tolerance: Shares = Shares(micros: 10_000)
    ) -> Report {
        var report = Report()
        for asset in Set(stored.keys).union(source.keys).sorted() {
            let a = max(0, stored[asset]?.micros ?? 0)
            let b = max(0, source[asset]?.micros ?? 0)
            guard a > tolerance.micros || b > tolerance.micros else { continue }
            report.tokens += 1
            if abs(a - b) <= tolerance.micros {
                report.agreeing += 1
            } else if b > a, b - a <= (received[asset]?.micros ?? 0) + tolerance.micros {
                report.received.append(Difference(asset: asset, stored: Shares(micros: a), source: Shares(micros: b)))
            } else {
                report.differences.append(Difference(asset: asset, stored: Shares(micros: a), source: Shares(micros: b)))
            }
        }
        report.differences.sort { (abs($0.gap.micros), $1.asset) > (abs($1.gap.micros), $0.asset) }
        return report
    }
}
