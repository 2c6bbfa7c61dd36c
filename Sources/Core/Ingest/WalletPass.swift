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
    /// False for a row that is not a valid trade (dead-lettered): its timestamp cannot be
    /// trusted, so it never moves the cursor nor ends the pass; it sorts with the valid row
    /// listed before it.
    public var valid: Bool
    public init(identity: String, timestamp: Int64, valid: Bool = true) {
        self.identity = identity
        self.timestamp = timestamp
        self.valid = valid
    }
}

/// One pass over a wallet's trades, newest first, by offset pages — the decisions only; the
/// caller fetches. It keeps every row newer than or as new as the stored cursor, and stops when
/// it has seen a strictly older row (the window is complete: identical fills share a
/// timestamp, so none is cut in half), when the history ends (a short page), or at the API's
/// depth cap (then what lies between is unreachable, and said so).
///
/// Pages are anchored: each request starts some rows before the end of what was read — at least
/// `anchor`, and always the row before the trailing run of identical fills (one order matched
/// against equal resting orders lists the same fill several times) — so every page must join
/// what was read, and where it joins is unambiguous: a page that only joined inside a run could
/// not tell how many of the run's fills it repeats. Only the rows past the end of what was read
/// are new. The page is placed where it joins, nearest the expected place: the server may serve
/// a shifted page (repeating rows), and new fills on top push the list down. A page that joins
/// nowhere would leave a hole: it is asked again, further back, and after a while the pass fails
/// (the caller retries the wallet) rather than guess. A page wholly read before costs a re-read;
/// if it persists, the list has moved down and the pass follows it.
public struct WalletPass: Sendable {
    public enum Next: Sendable, Equatable {
        case fetch(offset: Int)
        case done
    }

    /// The pages never joined what was read: going on would skip or double rows.
    public struct Misaligned: Error, CustomStringConvertible {
        public var offset: Int
        public var description: String {
            "pages at offset \(offset) never joined the rows read before them (the list changed under the pass); the pass is abandoned, to be tried again"
        }
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
    /// The fewest rows of what was read each request reads again.
    public let anchor: Int
    /// Every distinct row read, in API order (newest first).
    public private(set) var rows: [PagedRow] = []
    /// The offset the next request asks for.
    public private(set) var offset = 0
    /// How far the server's list has moved down since the pass began (new fills on top), as
    /// learnt from pages that did not join where expected.
    private var drift = 0
    private var stalls = 0
    private var misses = 0
    /// The last page that joined in two places, waiting for a second read alike.
    private var ambiguous: [String]?
    private var reachedEnd = false
    private var capped = false

    /// Tries of a page that joins nowhere before the pass gives up.
    static let patience = 12

    public init(cursor: WalletCursor, pageSize: Int, offsetCap: Int) {
        start = cursor
        self.pageSize = max(3, pageSize)
        anchor = 2
        self.offsetCap = max(0, offsetCap)
    }

    /// Rows of what was read that the next page must repeat: the anchor, and the row before the
    /// trailing run of identical fills (short of a whole page: a run that long stays ambiguous).
    var rereadRows: Int {
        guard let tail = rows.last?.identity else { return 0 }
        let run = rows.reversed().prefix { $0.identity == tail }.count
        return min(rows.count, pageSize - 1, max(anchor, run + 1))
    }

    /// Takes the page read at ``offset`` and says what to do next. Returns the positions in
    /// ``rows`` of the page's new rows.
    public mutating func absorb(_ page: [PagedRow]) throws -> (next: Next, fresh: Range<Int>) {
        let first = rows.count
        let expected = offset - drift
        guard let at = position(of: page, expectedAt: expected) else {
            // Taking this page would leave a hole. All newer than what was read: fills arrived on
            // top by more than a page, so follow them down. Else ask again, and after a few tries
            // further back.
            misses += 1
            guard misses <= Self.patience else { throw Misaligned(offset: offset) }
            if let pageOldest = page.filter(\.valid).map(\.timestamp).min(), let tail = rows.last?.timestamp, pageOldest > tail {
                drift += max(1, page.count - rereadRows)
            } else if misses % 3 == 0 {
                drift -= max(1, pageSize / 2)
            }
            offset = max(0, expected + drift)
            return (.fetch(offset: offset), first..<first)
        }
        misses = 0
        let known = rows.count - at
        if page.count > known {
            for var row in page[known...] {
                // An invalid row takes the time of the row listed before it (newer): it stays in
                // the window exactly when its neighbours do, whatever it claims.
                if !row.valid { row.timestamp = rows.last?.timestamp ?? .max }
                rows.append(row)
            }
        }
        let fresh = first..<rows.count
        if page.count < pageSize {
            reachedEnd = true
            return (.done, fresh)
        }
        if fresh.isEmpty {
            // A whole page read before: a shifted answer (ask again) or the list moved down by
            // that much (after three alike, follow it).
            stalls += 1
            if stalls >= 3 {
                drift += max(1, expected - at)
                stalls = 0
            }
        } else {
            stalls = 0
        }
        offset = max(0, rows.count - rereadRows + drift)
        if let newest = start.newestTrade, let oldest = rows.last?.timestamp, oldest < newest {
            return (.done, fresh)
        }
        if offset > offsetCap {
            capped = true
            return (.done, fresh)
        }
        return (.fetch(offset: offset), fresh)
    }

    /// Where in ``rows`` the page's first row sits: the first place, from `expectedAt` back to
    /// the start, then forward, where the page's rows repeat those read up to their end, taking
    /// in the row before the trailing run. Nil when it joins nowhere (a page with no row read
    /// before could follow a hole), or when it joins in two places (identical fills apart from
    /// each other) until the same page has been read twice: a shifted answer seldom comes twice
    /// alike. Before any row is read, every page is placed at 0.
    mutating func position(of page: [PagedRow], expectedAt expected: Int) -> Int? {
        if rows.isEmpty { return 0 }
        let last = rows.count - rereadRows
        let guess = min(max(0, expected), last)
        func joins(at j: Int) -> Bool {
            let m = min(page.count, rows.count - j)
            guard m > 0 else { return false }
            for k in 0..<m where page[k].identity != rows[j + k].identity { return false }
            return true
        }
        var places: [Int] = []
        for j in stride(from: guess, through: 0, by: -1) where places.count < 2 && joins(at: j) { places.append(j) }
        for j in stride(from: guess + 1, through: last, by: 1) where places.count < 2 && joins(at: j) { places.append(j) }
        guard let nearest = places.first else { return nil }
        if places.count == 1 { return nearest }
        let identities = page.map(\.identity)
        defer { ambiguous = identities }
        return ambiguous == identities ? nearest : nil
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
        // Only valid trades move the cursor: a poisoned timestamp would blind the pass to every later trade.
        if let newest = rows.filter(\.valid).map(\.timestamp).max() { cursor.newestTrade = max(newest, start.newestTrade ?? .min) }
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
}
