import Foundation

/// Spreads in ticks by price bucket, simulated and real, compared like with like: the Gamma
/// capture is mostly negative-risk long shots, so a bucket is compared only with the same
/// bucket.
public enum SpreadProfile {
    public static let buckets = ["< 0.04", "0.04–0.2", "0.2–0.8", "0.8–0.96", "> 0.96"]

    public static func bucket(_ price: Double) -> String {
        switch price {
        case ..<0.04: buckets[0]
        case ..<0.2: buckets[1]
        case ...0.8: buckets[2]
        case ...0.96: buckets[3]
        default: buckets[4]
        }
    }

    /// The first token's touch at every node of every market's price history while it trades:
    /// spread ÷ the tick in force, by bucket of the midpoint.
    public static func simulated(_ world: SimulatedWorld) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for market in world.markets {
            let h = market.history
            for k in h.p.indices {
                let time = h.start + Int64(k) * h.step
                let mid = h.midpoint(at: time)
                guard time >= world.startTime, time < min(world.endTime, market.truth.closedTime) else { continue }
                let touch = OrderBookModel.touch(market: market.truth, outcomeIndex: 0, midpoint: mid)
                // Negative when on the 0.001 tick, so one list carries both (see ``fineTickShare``).
                let ticks = Double(touch.askMicros - touch.bidMicros) / Double(touch.tickMicros)
                out[bucket(mid), default: []].append(touch.tickMicros == 1_000 ? -ticks : ticks)
            }
        }
        return out
    }

    /// Gamma `/markets` objects (the capture's `markets` list): `spread` ÷
    /// `orderPriceMinTickSize`, by bucket of (bestBid + bestAsk) ÷ 2.
    public static func real(gammaMarkets: [[String: Any]]) -> [String: [Double]] {
        func number(_ value: Any?) -> Double? {
            if let d = value as? Double { return d }
            if let s = value as? String { return Double(s) }
            if let n = value as? NSNumber { return n.doubleValue }
            return nil
        }
        var out: [String: [Double]] = [:]
        for m in gammaMarkets {
            guard let bid = number(m["bestBid"]), let ask = number(m["bestAsk"]), let spread = number(m["spread"]),
                let tick = number(m["orderPriceMinTickSize"]), tick > 0, ask > bid
            else { continue }
            let ticks = (spread / tick).rounded()
            out[bucket((bid + ask) / 2), default: []].append(abs(tick - 0.001) < 1e-9 ? -ticks : ticks)
        }
        return out
    }

    /// Spreads in ticks are stored negative when the tick in force is 0.001.
    public static func fineTickShare(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : Double(values.filter { $0 < 0 }.count) / Double(values.count)
    }

    /// The value below which a share `p` of `values` lies (nearest rank), spreads in ticks.
    public static func quantile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.map { abs($0) }.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))]
    }

    /// Markdown: quantiles p50 / p75 / p90 per bucket, simulated beside real.
    public static func table(simulated: [String: [Double]], real: [String: [Double]]) -> String {
        var lines = [
            "| midpoint | real markets | real spread in ticks p50 / p75 / p90 | real on 0.001 | simulated nodes | simulated p50 / p75 / p90 | simulated on 0.001 |",
            "|---|---:|---|---:|---:|---|---:|",
        ]
        func cells(_ v: [Double]) -> String {
            v.isEmpty ? "–" : [0.5, 0.75, 0.9].map { String(format: "%.0f", quantile(v, $0)) }.joined(separator: " / ")
        }
        for b in buckets {
            let r = real[b] ?? []
            let s = simulated[b] ?? []
            func share(_ v: [Double]) -> String { v.isEmpty ? "–" : String(format: "%.0f %%", 100 * fineTickShare(v)) }
            lines.append("| \(b) | \(r.count) | \(cells(r)) | \(share(r)) | \(s.count) | \(cells(s)) | \(share(s)) |")
        }
        return lines.joined(separator: "\n")
    }
}
