import RemoraCore
import Testing

/// Pages of a newest-first list served by offset, with an optional shift (a repeat of rows).
struct FakeList {
    var rows: [PagedRow]
    func page(offset: Int, limit: Int, shift: Int = 0) -> [PagedRow] {
        let from = max(0, offset - shift)
        return Array(rows[min(from, rows.count)..<min(from + limit, rows.count)])
    }
}

func row(_ id: String, _ t: Int64) -> PagedRow { PagedRow(identity: id, timestamp: t) }

/// Runs a pass; `shifts[n]` shifts the n-th request's page.
func runPass(_ list: FakeList, cursor: WalletCursor, pageSize: Int, cap: Int = 10_000, shifts: [Int: Int] = [:]) -> (WalletPass, WalletPass.Outcome, Int) {
    var pass = WalletPass(cursor: cursor, pageSize: pageSize, offsetCap: cap)
    var next = WalletPass.Next.fetch(offset: 0)
    var requests = 0
    while case .fetch(let offset) = next {
        let page = list.page(offset: offset, limit: pageSize, shift: shifts[requests] ?? 0)
        requests += 1
        next = try! pass.absorb(page).next
        if requests > 1000 { break }
    }
    return (pass, pass.outcome(serverTime: 1_000, margin: 10), requests)
}

@Suite("Ingest: one pass over a wallet's trades")
struct WalletPassTests {
    // Newest first: times 20, 19, … 1; "d" is an identical fill listed twice at time 15.
    let list = FakeList(rows: (1...20).reversed().flatMap { t -> [PagedRow] in
        t == 15 ? [row("d", 15), row("d", 15)] : [row("f\(t)", Int64(t))]
    })

    @Test("invalid rows keep their place but move no cursor and end no pass, whatever time they claim", arguments: [Int64.max, 99_999_999_999, 0, -5])
    func invalidRows(claimed: Int64) {
        // Newest first: a poisoned row on top, another among older rows, then the trades.
        var rows = (1...12).reversed().map { row("f\($0)", Int64($0)) }
        rows.insert(PagedRow(identity: "bad-top", timestamp: claimed, valid: false), at: 0)
        rows.insert(PagedRow(identity: "bad-mid", timestamp: claimed, valid: false), at: 6)
        let (pass, outcome, _) = runPass(FakeList(rows: rows), cursor: WalletCursor(newestTrade: 4), pageSize: 4)
        #expect(outcome.cursor.newestTrade == 12)
        let kept = outcome.window.map { pass.rows[$0].identity }
        // Every row from the top down to the cursor's second, the bad ones included (to be dead-lettered).
        #expect(Set(kept) == Set(["bad-top", "bad-mid"] + (4...12).map { "f\($0)" }), "\(kept)")
    }

    @Test("a first pass reads the whole history, oldest first, numbering identical fills")
    func firstPass() {
        let (pass, outcome, requests) = runPass(list, cursor: WalletCursor(), pageSize: 6)
        // Anchored pages: offsets 0, 4, 8, 12, 16 (each reads the last two rows again).
        #expect(requests == 5)
        #expect(outcome.window.count == 21)
        #expect(outcome.window.map { pass.rows[$0].timestamp } == outcome.window.map { pass.rows[$0].timestamp }.sorted())
        let d = zip(outcome.window, outcome.occurrences).filter { pass.rows[$0.0].identity == "d" }.map(\.1)
        #expect(d == [0, 1])
        #expect(outcome.cursor == WalletCursor(newestTrade: 20, asOf: 990, historyComplete: true))
        #expect(outcome.unreachable == nil)
    }

    @Test("a later pass stops once it sees a trade older than the cursor and keeps the cursor's second whole")
    func incremental() {
        let cursor = WalletCursor(newestTrade: 15, asOf: 500, historyComplete: true)
        let (pass, outcome, requests) = runPass(list, cursor: cursor, pageSize: 4)
        #expect(requests == 3)
        // 20…16 are new; both fills at 15 are read again (their uids make the store skip them).
        #expect(outcome.window.map { pass.rows[$0].identity } == ["d", "d", "f16", "f17", "f18", "f19", "f20"])
        #expect(outcome.occurrences == [0, 1, 0, 0, 0, 0, 0])
    }

    @Test("a page that repeats rows of the previous one costs a re-read, never a skipped row nor a double")
    func repeatedRows() {
        for shift in 1...7 {
            let (pass, outcome, _) = runPass(list, cursor: WalletCursor(), pageSize: 5, shifts: [1: shift, 2: 2])
            #expect(outcome.window.count == 21, "shift \(shift)")
            #expect(Set(outcome.window.map { pass.rows[$0].identity }).count == 20)
            let d = zip(outcome.window, outcome.occurrences).filter { pass.rows[$0.0].identity == "d" }.map(\.1)
            #expect(d == [0, 1], "shift \(shift)")
        }
    }

    @Test("a shifted page that lies wholly inside what was read adds nothing (the stub's repeat fault at a full shift)")
    func shiftedPageInsideWhatWasRead() {
        // Request 2 asks offset 6 and gets rows 1…5 (shift 5): all read before, none at the end.
        for shift in 4...5 {
            let (pass, outcome, _) = runPass(list, cursor: WalletCursor(), pageSize: 5, shifts: [2: shift])
            #expect(outcome.window.count == 21, "shift \(shift)")
            #expect(pass.rows.count == 21, "shift \(shift)")
        }
    }

    @Test("beyond the depth cap the history is unreachable, and the pass says which range")
    func depthCap() {
        let (_, first, _) = runPass(list, cursor: WalletCursor(), pageSize: 5, cap: 5)
        // Offsets 0 and 3 are served (the next, 6, is past the cap): the eight newest rows.
        #expect(first.window.count == 8)
        #expect(first.unreachable?.from == nil && first.unreachable?.to == 14)
        #expect(first.cursor.historyComplete)

        // Down for a while: 40 new trades since the cursor at 20, the cap allows 8.
        let busy = FakeList(rows: (21...60).reversed().map { row("n\($0)", Int64($0)) } + list.rows)
        let (_, later, _) = runPass(busy, cursor: WalletCursor(newestTrade: 20, asOf: 900, historyComplete: true), pageSize: 5, cap: 5)
        #expect(later.window.count == 8)
        #expect(later.unreachable?.from == 20 && later.unreachable?.to == 53)
    }

    @Test("an empty history completes at once")
    func empty() {
        let (_, outcome, requests) = runPass(FakeList(rows: []), cursor: WalletCursor(), pageSize: 5)
        #expect(requests == 1 && outcome.window.isEmpty && outcome.cursor.historyComplete && outcome.cursor.newestTrade == nil)
    }
}

/// A deterministic random stream for the paging fuzz (SplitMix64).
struct SplitMix {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

@Suite("Ingest: paging against a hostile server")
struct WalletPassFuzzTests {
    /// A newest-first history with runs of identical fills (a sweep matched against equal
    /// resting orders lists the same fill several times).
    static func history(_ random: inout SplitMix, count: Int, longestRun: Int, prefix: String, from time: Int64) -> [PagedRow] {
        var rows: [PagedRow] = []
        var t = time
        while rows.count < count {
            let run = random.next(10) == 0 ? 1 + random.next(longestRun) : 1
            let id = "\(prefix)\(rows.count)"
            for _ in 0..<run where rows.count < count { rows.append(row(id, t)) }
            t -= Int64(random.next(3))
        }
        return rows
    }

    @Test("shifted pages, fills arriving on top mid-pass, runs of identical fills: every fill once, none skipped", arguments: 0..<1000)
    func hostile(seed: Int) throws {
        var random = SplitMix(state: UInt64(seed) &* 7919)
        let pageSize = [5, 10, 40, 100][seed % 4]
        var pass = WalletPass(cursor: WalletCursor(), pageSize: pageSize, offsetCap: 1_000_000)
        // Runs of identical fills up to half a page (runs of a whole page are ambiguous: a page
        // inside such a run reads the same at any shift).
        let longestRun = pageSize / 2
        let old = Self.history(&random, count: random.next(300), longestRun: longestRun, prefix: "o", from: 10_000)
        var served = old
        var next = WalletPass.Next.fetch(offset: 0)
        var requests = 0
        var arrived = 0
        while case .fetch(let offset) = next {
            requests += 1
            try #require(requests < 5_000, "the pass does not end")
            // New fills on top between two requests (the list moves down under the pass).
            if random.next(8) == 0 {
                let count = 1 + random.next(pageSize)
                // Newer than every fill listed: times fall at most 2 a row.
                let newest = (served.first?.timestamp ?? 10_000) + 1 + 2 * Int64(count)
                let new = Self.history(&random, count: count, longestRun: longestRun, prefix: "n\(requests)-", from: newest)
                served = new + served
                arrived += new.count
            }
            // A fifth of the pages come shifted back, repeating rows (the stub's `repeat` fault).
            let shift = offset > 0 && random.next(5) == 0 ? 1 + random.next(min(offset, pageSize)) : 0
            let from = max(0, offset - shift)
            let page = Array(served[min(from, served.count)..<min(from + pageSize, served.count)])
            next = try pass.absorb(page).next
        }
        let outcome = pass.outcome(serverTime: nil, margin: 0)
        var counts: [String: Int] = [:]
        for index in outcome.window { counts[pass.rows[index].identity, default: 0] += 1 }
        var expected: [String: Int] = [:]
        for row in old { expected[row.identity, default: 0] += 1 }
        for (identity, count) in expected {
            #expect(counts[identity] == count, "seed \(seed): \(identity) read \(counts[identity] ?? 0) times, listed \(count)")
        }
        // Fills that arrived during the pass may or may not be read, but never twice.
        let newcomers = Dictionary(grouping: served.dropLast(old.count), by: \.identity).mapValues(\.count)
        for (identity, count) in counts where !identity.hasPrefix("o") {
            #expect(count <= newcomers[identity] ?? 0, "seed \(seed): \(identity) read \(count) times")
        }
    }
}
