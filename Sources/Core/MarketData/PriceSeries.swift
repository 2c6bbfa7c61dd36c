public import RemoraModel

/// A token's price series at one fidelity, canonical: time order, one point per fidelity
/// bucket (the first point of each `fidelityMinutes` bucket counted from the epoch), so the
/// same history read in any number of pages, in any order, gives the same series.
public struct PriceSeries: Sendable, Hashable {
    public let token: TokenID
    public let fidelityMinutes: Int
    public let points: [PricePoint]

    public init(token: TokenID, fidelityMinutes: Int, points: some Sequence<PricePoint>) {
        self.token = token
        self.fidelityMinutes = max(1, fidelityMinutes)
        self.points = Self.canonical(points, fidelityMinutes: self.fidelityMinutes)
    }

    /// Time order, first point per bucket; later duplicates of a bucket are dropped.
    public static func canonical(_ points: some Sequence<PricePoint>, fidelityMinutes: Int) -> [PricePoint] {
        let bucket = Int64(max(1, fidelityMinutes)) * 60_000
        var out: [PricePoint] = []
        for point in points.sorted(by: { $0.time < $1.time }) {
            if let last = out.last, floorDiv(last.time.millis, bucket) == floorDiv(point.time.millis, bucket) { continue }
            out.append(point)
        }
        return out
    }

    /// The last point at or before `time`.
    public func point(at time: EventTime) -> PricePoint? {
        var low = 0
        var high = points.count
        while low < high {
            let middle = (low + high) / 2
            if points[middle].time <= time { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? points[low - 1] : nil
    }

    /// The points inside `from ... through`.
    public func window(from: EventTime, through: EventTime) -> ArraySlice<PricePoint> {
        let start = points.firstIndex { $0.time >= from } ?? points.endIndex
        let end = points.lastIndex { $0.time <= through }.map { $0 + 1 } ?? points.startIndex
        return start < end ? points[start..<end] : []
    }

    /// Longest stretch between consecutive points in the window, in ms (a gap in the history).
    public func longestGap(from: EventTime, through: EventTime) -> Int64 {
        let inside = window(from: from, through: through)
        return zip(inside, inside.dropFirst()).map { $1.time.millis - $0.time.millis }.max() ?? 0
    }
}

/// Marks for a set of tokens: each token's series, from which a mark is the last point at or
/// before an instant. A value, so the pure core can mark a book at any event time in a batch.
public struct Marks: Sendable, Hashable {
    public var series: [TokenID: PriceSeries]
    /// A mark is the last point at most this long before the instant (nil: any point before).
    /// Fixed by the instant alone, so that what a decision sees does not depend on how far back
    /// its batch's series happened to be read (a batch reads from its first decision's lookback).
    public var lookbackMillis: Int64?

    public init(series: [TokenID: PriceSeries] = [:], lookbackMillis: Int64? = nil) {
        self.series = series
        self.lookbackMillis = lookbackMillis
    }

    public func mark(of token: TokenID, at time: EventTime) -> PricePoint? {
        guard let point = series[token]?.point(at: time) else { return nil }
        if let lookbackMillis, point.time.millis < time.millis - lookbackMillis { return nil }
        return point
    }
}

func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
