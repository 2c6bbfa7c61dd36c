/// Where the ingest of one wallet's trades stands between passes.
public struct WalletCursor: Sendable, Equatable {
    /// Timestamp of the newest trade stored (unix seconds); nil before the first pass.
    public var newestTrade: Int64?
    /// Event time up to which every trade of the wallet is stored (the API's "now" at the last
    /// complete pass, minus the publication margin).
    public var asOf: Int64?
    /// The start of the wallet's history was reached once (or found beyond the depth cap).
    public var historyComplete: Bool

    public init(newestTrade: Int64? = nil, asOf: Int64? = nil, historyComplete: Bool = false) {
        self.newestTrade = newestTrade
        self.asOf = asOf
        self.historyComplete = historyComplete
    }
}

/// A row of a newest-first page, reduced to what paging needs: its identity (equal rows are
/// equal here: the base fill key, or the raw text of a row that is not a trade) and its time.
public struct PagedRow: Sendable, Equatable {
    public var identity: String
    public var timestamp: Int64
    public init(identity: String, timestamp: Int64) {
        self.identity = identity
        self.timestamp = timestamp
    }
}

/// One pass over a wallet's trades, newest first, by offset pages — the decisions only; the
/// caller fetches. It keeps every row newer than or as new as the stored cursor, and stops when
/// it has seen a strictly older row (the window is complete: identical fills share a
/// timestamp, so none is cut in half), when the history ends (a short page), or at the API's
/// depth cap (then what lies between is unreachable, and said so).
///
/// Pages are anchored: each request starts `anchor` rows before the end of what was read, and
/// the page must begin with exactly those rows. A page that does not (new fills pushed the list
/// down between two requests, or the server served a shifted page, repeating rows) is aligned by
/// the longest prefix that repeats the end of what was read; either way the offset advances by
/// the rows not seen before, so a repeat costs a re-read and never skips a row. The anchor also
/// tells identical fills (same hash, size and price: one order matched against two equal resting
/// orders) that straddle a page boundary from a repeat: without it the second would be dropped.
public struct WalletPass: Sendable {
    public enum Next: Sendable, Equatable {
        case fetch(offset: Int)
        case done
    }

    /// What the pass found.
    public struct Outcome: Sendable, Equatable {
        /// Positions (in the order of ``rows``) of the rows to store, oldest first.
        public var window: [Int]
        /// Occurrence index of each window row among identical rows (same identity).
        public var occurrences: [Int]
        public var cursor: WalletCursor
        /// Trades in this time range (unix seconds, `from` nil = the beginning) lie beyond the
        /// API's depth cap: they cannot be read.
        public var unreachable: (from: Int64?, to: Int64)?

        public static func == (a: Outcome, b: Outcome) -> Bool {
            a.window == b.window && a.occurrences == b.occurrences && a.cursor == b.cursor
                && a.unreachable?.from == b.unreachable?.from && a.unreachable?.to == b.unreachable?.to
        }
    }

    public let start: WalletCursor
    public let pageSize: Int
    public let offsetCap: Int
    /// Rows of the previous page each request reads again, to check the alignment.
    public static let anchor = 2
    /// Every distinct row read, in API order (newest first).
    public private(set) var rows: [PagedRow] = []
    /// The offset the next request asks for.
    public private(set) var offset = 0
    private var stalls = 0
    private var reachedEnd = false
    private var capped = false

    public init(cursor: WalletCursor, pageSize: Int, offsetCap: Int) {
        start = cursor
        self.pageSize = max(Self.anchor + 1, pageSize)
        self.offsetCap = max(0, offsetCap)
    }

    /// Takes the page read at ``offset`` and says what to do next. Returns the positions in
    /// ``rows`` of the page's new rows.
    public mutating func absorb(_ page: [PagedRow]) -> (next: Next, fresh: Range<Int>) {
        let expected = rows[min(offset, rows.count)...].map(\.identity)
        let seen =
            page.prefix(expected.count).map(\.identity) == expected && page.count >= expected.count
            ? expected.count : Self.overlap(tail: rows, head: page)
        let first = rows.count
        rows.append(contentsOf: page[seen...])
        let fresh = first..<rows.count
        if page.count < pageSize {
            reachedEnd = true
            return (.done, fresh)
        }
        if fresh.isEmpty {
            // A whole page of repeats: ask again, then move past it rather than loop.
            stalls += 1
            if stalls >= 3 {
                offset += page.count
                stalls = 0
            }
        } else {
            stalls = 0
            offset = rows.count - Self.anchor
        }
        if let newest = start.newestTrade, let oldest = rows.last?.timestamp, oldest < newest {
            return (.done, fresh)
        }
        if offset > offsetCap {
            capped = true
            return (.done, fresh)
        }
        return (.fetch(offset: offset), fresh)
    }

    /// The rows to store and the new cursor; `serverTime` is the API's "now" when the pass
    /// began, `margin` the delay before a trade is sure to be listed.
    public func outcome(serverTime: Int64?, margin: Int64) -> Outcome {
        let floor = start.newestTrade ?? .min
        let window = Array(rows.indices.reversed().filter { rows[$0].timestamp >= floor })
        var counts: [String: Int] = [:]
        let occurrences = window.map { index -> Int in
            let identity = rows[index].identity
            defer { counts[identity, default: 0] += 1 }
            return counts[identity, default: 0]
        }
        var cursor = start
        if let newest = rows.map(\.timestamp).max() { cursor.newestTrade = max(newest, start.newestTrade ?? .min) }
        if let serverTime { cursor.asOf = max(serverTime - margin, start.asOf ?? .min) }
        var unreachable: (from: Int64?, to: Int64)?
        if capped, let oldest = rows.last?.timestamp {
            // Everything older than the oldest row read, down to the stored cursor, is out of reach.
            if let newest = start.newestTrade {
                if oldest > newest { unreachable = (newest, oldest) }
            } else {
                unreachable = (nil, oldest)
            }
        }
        if reachedEnd || (capped && start.newestTrade == nil) { cursor.historyComplete = true }
        return Outcome(window: window, occurrences: occurrences, cursor: cursor, unreachable: unreachable)
    }

    /// The longest k such that the first k rows of `head` equal the last k rows of `tail`.
    static func overlap(tail: [PagedRow], head: [PagedRow]) -> Int {
        var k = min(tail.count, head.count)
        while k > 0 {
            if tail[(tail.count - k)...].map(\.identity) == head[..<k].map(\.identity) { return k }
            k -= 1
        }
        return 0
    }
}
