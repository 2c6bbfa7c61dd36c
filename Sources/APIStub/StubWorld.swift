public import Foundation
public import RemoraSimulator

/// A world directory loaded for serving: immutable, indexed by wallet, market and token, shared
/// by every request. The trade rows stay as raw bytes (a memory-mapped `trades.ndjson`) and are
/// served verbatim; only the fields the filters need are parsed.
public struct StubWorld: Sendable {
    public let manifest: WorldManifest
    public let markets: [StubMarket]
    let events: [StubEvent]
    let trades: TradeTable
    let wallets: WalletTable
    let marketByCondition: [String: Int]
    let marketByGammaId: [String: Int]
    let marketBySlug: [String: Int]
    let tokens: [String: TokenRef]
    let eventById: [String: Int]
    let eventBySlug: [String: Int]
    /// Each wallet's negative-risk conversions, oldest first (by wallet index).
    let conversions: [[StubConversion]]

    public var tradeCount: Int { trades.count }
    public var walletCount: Int { wallets.addresses.count }
}

/// An outcome token: its market and outcome index (0 = first outcome, "Yes").
struct TokenRef: Sendable {
    let market: Int
    let outcome: Int
}

/// A Gamma object parsed once with `JSONSerialization`. Never mutated after loading (a request
/// edits its own copy), which is what makes sharing the untyped dictionary safe.
struct GammaObject: @unchecked Sendable {
    let fields: [String: Any]
}

/// One market: its hidden timeline, its Gamma object as of the world's end, its price path and
/// the indexes of its trades.
public struct StubMarket: Sendable {
    public let truth: MarketTruth
    let gamma: GammaObject
    let priceHistory: PriceHistoryLine?
    public let gammaId: String
    public let slug: String
    let question: String
    let icon: String
    let image: String
    let eventId: String?
    let eventSlug: String
    let outcomes: [String]
    let negRisk: Bool
    let endDate: String
    /// Gamma's `volume` in `markets.json`, i.e. at the world's end.
    let volumeAtEnd: Double
    /// Trade indexes (file lines) in this market, ascending, every role.
    let tradeIndexes: [Int32]
    /// `takerNotional[k]` is the USDC of the taker rows among `tradeIndexes[0..<k]`: each fill
    /// has one taker row, so this is the traded volume without the maker side counted twice.
    let takerNotional: [Double]

    var conditionId: String { truth.conditionId }

    /// The first token's midpoint at `time`; the opening probability when there is no path.
    func midpoint(at time: Int64) -> Double {
        priceHistory?.midpoint(at: time) ?? truth.initialProbability
    }

    /// What a share of outcome `outcome` pays at resolution.
    func payout(outcome: Int) -> Double {
        switch truth.outcome {
        case .yes: outcome == 0 ? 1 : 0
        case .no: outcome == 0 ? 0 : 1
        case .void: 0.5
        }
    }
}

/// A Gamma event: the `events[0]` object its markets carry, and those markets.
struct StubEvent: Sendable {
    let id: String
    let slug: String
    let object: GammaObject
    let markets: [Int]
}

/// The trades as columns (a million rows stay compact), in file order, which is time order.
struct TradeTable: Sendable {
    /// `trades.ndjson`, memory-mapped.
    let raw: Data
    let lineStart: [Int]
    let lineEnd: [Int]
    let timestamp: [Int64]
    let wallet: [Int32]
    let market: [Int32]
    let outcome: [UInt8]
    let isBuy: [Bool]
    let isMaker: [Bool]
    let size: [Double]
    let price: [Double]

    var count: Int { timestamp.count }

    /// How many trades (a prefix of the file) have `timestamp <= now`.
    func visibleCount(at now: Int64) -> Int {
        upperBound(count, now) { timestamp[$0] }
    }

    func notional(_ index: Int) -> Double { size[index] * price[index] }

    /// Appends the raw JSON of row `index` (without its line break).
    func appendRow(_ index: Int, to output: inout [UInt8]) {
        raw.withUnsafeBytes { bytes in
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[lineStart[index]..<lineEnd[index]]))
        }
    }

    /// Row `index` as a dictionary, for the profile fields (name, pseudonym…) of a wallet.
    func parsedRow(_ index: Int) -> [String: Any] {
        let data = raw.subdata(in: lineStart[index]..<lineEnd[index])
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }
}

struct WalletTable: Sendable {
    /// Lowercased addresses.
    let addresses: [String]
    let indexByAddress: [String: Int32]
    /// Each wallet's trade indexes, ascending.
    let tradeIndexes: [[Int32]]

    func index(of address: String) -> Int? { indexByAddress[address.lowercased()].map(Int.init) }
}


public struct WorldLoadError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension StubWorld {
    /// Reads a world directory (see ``WorldFileName``).
    public static func load(from directory: URL) throws -> StubWorld {
        func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
        let decoder = JSONDecoder()
        let manifest = try decoder.decode(WorldManifest.self, from: Data(contentsOf: file(WorldFileName.manifest)))
        let truth = try decoder.decode(WorldTruth.self, from: Data(contentsOf: file(WorldFileName.truth)))
        let gammaObjects = try loadGammaObjects(file(WorldFileName.markets))
        let priceLines = try loadPriceLines(file(WorldFileName.prices), decoder: decoder)

        var truthByCondition: [String: MarketTruth] = [:]
        for market in truth.markets { truthByCondition[market.conditionId] = market }

        // Markets in `markets.json` order; each must have its truth.
        var marketByCondition: [String: Int] = [:]
        var pending: [(truth: MarketTruth, gamma: [String: Any])] = []
        for object in gammaObjects {
            guard let conditionId = object["conditionId"] as? String else {
                throw WorldLoadError("markets.json: a market without conditionId")
            }
            guard let marketTruth = truthByCondition[conditionId] else {
                throw WorldLoadError("markets.json: \(conditionId) is not in truth.json")
            }
            marketByCondition[conditionId] = pending.count
            pending.append((marketTruth, object))
        }

        let raw = try Data(contentsOf: file(WorldFileName.trades), options: .alwaysMapped)
        let scanned = try scanTrades(raw, marketByCondition: marketByCondition)
        let roles = Array(truth.trades.roles.utf8)
        guard roles.isEmpty || roles.count == scanned.timestamp.count else {
            throw WorldLoadError(
                "truth.json: trades.roles has \(roles.count) characters for \(scanned.timestamp.count) trades")
        }
        let isMaker = roles.isEmpty ? [Bool](repeating: false, count: scanned.timestamp.count) : roles.map { $0 == UInt8(ascii: "M") }
        let trades = TradeTable(
            raw: raw, lineStart: scanned.lineStart, lineEnd: scanned.lineEnd, timestamp: scanned.timestamp,
            wallet: scanned.wallet, market: scanned.market, outcome: scanned.outcome, isBuy: scanned.isBuy,
            isMaker: isMaker, size: scanned.size, price: scanned.price)

        // Per-market and per-wallet trade lists, in one pass.
        var marketTrades = [[Int32]](repeating: [], count: pending.count)
        var walletTrades = [[Int32]](repeating: [], count: scanned.walletAddresses.count)
        for index in 0..<trades.count {
            marketTrades[Int(trades.market[index])].append(Int32(index))
            walletTrades[Int(trades.wallet[index])].append(Int32(index))
        }

        var markets: [StubMarket] = []
        var tokens: [String: TokenRef] = [:]
        var marketByGammaId: [String: Int] = [:]
        var marketBySlug: [String: Int] = [:]
        for (index, entry) in pending.enumerated() {
            let gamma = entry.gamma
            let event = (gamma["events"] as? [[String: Any]])?.first
            var takerNotional = [0.0]
            takerNotional.reserveCapacity(marketTrades[index].count + 1)
            for trade in marketTrades[index] {
                let t = Int(trade)
                takerNotional.append(takerNotional.last! + (trades.isMaker[t] ? 0 : trades.notional(t)))
            }
            let market = StubMarket(
                truth: entry.truth, gamma: GammaObject(fields: gamma), priceHistory: priceLines[entry.truth.conditionId],
                gammaId: stringValue(gamma["id"]) ?? entry.truth.gammaId, slug: gamma["slug"] as? String ?? "",
                question: gamma["question"] as? String ?? "", icon: gamma["icon"] as? String ?? "",
                image: gamma["image"] as? String ?? "", eventId: stringValue(event?["id"]),
                eventSlug: event?["slug"] as? String ?? "",
                outcomes: decodeStringList(gamma["outcomes"]) ?? ["Yes", "No"],
                negRisk: gamma["negRisk"] as? Bool ?? false, endDate: gamma["endDate"] as? String ?? "",
                volumeAtEnd: Double(stringValue(gamma["volume"]) ?? "") ?? 0,
                tradeIndexes: marketTrades[index], takerNotional: takerNotional)
            for (outcome, token) in entry.truth.tokenIds.enumerated() {
                tokens[token] = TokenRef(market: index, outcome: outcome)
            }
            marketByGammaId[market.gammaId] = index
            if !market.slug.isEmpty { marketBySlug[market.slug] = index }
            markets.append(market)
        }

        // Events from the markets' `events[0]`, in order of first appearance.
        var events: [StubEvent] = []
        var eventById: [String: Int] = [:]
        var eventBySlug: [String: Int] = [:]
        var eventMarkets: [[Int]] = []
        for (index, market) in markets.enumerated() {
            guard let id = market.eventId,
                let object = (market.gamma.fields["events"] as? [[String: Any]])?.first
            else { continue }
            if let existing = eventById[id] {
                eventMarkets[existing].append(index)
            } else {
                eventById[id] = events.count
                if !market.eventSlug.isEmpty { eventBySlug[market.eventSlug] = events.count }
                events.append(StubEvent(id: id, slug: market.eventSlug, object: GammaObject(fields: object), markets: []))
                eventMarkets.append([index])
            }
        }
        events = events.enumerated().map { StubEvent(id: $1.id, slug: $1.slug, object: $1.object, markets: eventMarkets[$0]) }

        // Conversions, when the world has them (a world written before them has none).
        var conversions = [[StubConversion]](repeating: [], count: scanned.walletAddresses.count)
        if let data = try? Data(contentsOf: file(WorldFileName.conversions)) {
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                let row = try decoder.decode(ConversionRow.self, from: Data(line))
                guard let market = marketByCondition[row.conditionId], let wallet = scanned.walletIndex[row.wallet.lowercased()],
                    let shares = Double(row.shares), shares > 0
                else { throw WorldLoadError("conversions.ndjson: a conversion of an unknown wallet or market, or no shares: \(row.line)") }
                conversions[Int(wallet)].append(
                    StubConversion(time: row.time, market: market, shares: shares, transactionHash: row.transactionHash))
            }
        }

        return StubWorld(
            manifest: manifest, markets: markets, events: events, trades: trades,
            wallets: WalletTable(
                addresses: scanned.walletAddresses, indexByAddress: scanned.walletIndex, tradeIndexes: walletTrades),
            marketByCondition: marketByCondition, marketByGammaId: marketByGammaId, marketBySlug: marketBySlug,
            tokens: tokens, eventById: eventById, eventBySlug: eventBySlug, conversions: conversions)
    }

    private static func loadGammaObjects(_ url: URL) throws -> [[String: Any]] {
        guard let objects = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]] else {
            throw WorldLoadError("markets.json: expected an array of market objects")
        }
        return objects
    }

    private static func loadPriceLines(_ url: URL, decoder: JSONDecoder) throws -> [String: PriceHistoryLine] {
        var lines: [String: PriceHistoryLine] = [:]
        let data = try Data(contentsOf: url)
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ $0 == UInt8(ascii: " ") }) {
            let history = try decoder.decode(PriceHistoryLine.self, from: Data(line))
            lines[history.conditionId] = history
        }
        return lines
    }

    /// The scanned columns of `trades.ndjson` plus the wallets met, interned in order of
    /// first appearance.
    struct ScannedTrades {
        var lineStart: [Int] = []
        var lineEnd: [Int] = []
        var timestamp: [Int64] = []
        var wallet: [Int32] = []
        var market: [Int32] = []
        var outcome: [UInt8] = []
        var isBuy: [Bool] = []
        var size: [Double] = []
        var price: [Double] = []
        var walletAddresses: [String] = []
        var walletIndex: [String: Int32] = [:]
    }

    /// Splits the file into line-aligned chunks scanned in parallel, then joins them in order.
    static func scanTrades(_ raw: Data, marketByCondition: [String: Int]) throws -> ScannedTrades {
        let chunkCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount, raw.count / 4_000_000))
        let bounds: [Int] = raw.withUnsafeBytes { bytes in
            var bounds = [0]
            for chunk in 1..<chunkCount {
                var cut = max(bounds.last!, raw.count * chunk / chunkCount)
                while cut < bytes.count, bytes[cut] != UInt8(ascii: "\n") { cut += 1 }
                bounds.append(min(bytes.count, cut + 1))
            }
            bounds.append(bytes.count)
            return bounds
        }
        let results = ChunkResults(count: chunkCount)
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            results.store(
                chunk,
                Result {
                    try raw.withUnsafeBytes { bytes in
                        try scanChunk(bytes, from: bounds[chunk], to: bounds[chunk + 1], marketByCondition: marketByCondition)
                    }
                })
        }
        var joined = ScannedTrades()
        var lineOffset = 0
        for chunk in 0..<chunkCount {
            let part: ScannedTrades
            do {
                part = try results.take(chunk).get()
            } catch let failure as LineFailure {
                throw WorldLoadError("trades.ndjson line \(lineOffset + failure.line + 1): \(failure.reason)")
            }
            // Chunk-local wallet numbers → global ones.
            let remap = part.walletAddresses.map { address -> Int32 in
                if let known = joined.walletIndex[address] { return known }
                let index = Int32(joined.walletAddresses.count)
                joined.walletAddresses.append(address)
                joined.walletIndex[address] = index
                return index
            }
            if let first = part.timestamp.first, let last = joined.timestamp.last, first < last {
                throw WorldLoadError("trades.ndjson line \(lineOffset + 1): rows must be oldest first")
            }
            joined.lineStart += part.lineStart
            joined.lineEnd += part.lineEnd
            joined.timestamp += part.timestamp
            joined.wallet += part.wallet.map { remap[Int($0)] }
            joined.market += part.market
            joined.outcome += part.outcome
            joined.isBuy += part.isBuy
            joined.size += part.size
            joined.price += part.price
            lineOffset += part.timestamp.count
        }
        return joined
    }

    private struct LineFailure: Error {
        let line: Int  // inside the chunk
        let reason: String
    }

    private final class ChunkResults: @unchecked Sendable {
        // Each slot is written by exactly one `concurrentPerform` iteration and read after all
        // of them returned.
        private var slots: [Result<ScannedTrades, any Error>?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func store(_ index: Int, _ result: Result<ScannedTrades, any Error>) { slots[index] = result }
        func take(_ index: Int) -> Result<ScannedTrades, any Error> { slots[index]! }
    }

    private static func scanChunk(
        _ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, marketByCondition: [String: Int]
    ) throws -> ScannedTrades {
        var part = ScannedTrades()
        let estimate = (end - start) / 600
        part.lineStart.reserveCapacity(estimate)
        part.lineEnd.reserveCapacity(estimate)
        part.timestamp.reserveCapacity(estimate)
        var lineStart = start
        var line = 0
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        while lineStart < end {
            var lineEnd = lineStart
            while lineEnd < end, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var contentEnd = lineEnd
            while contentEnd > lineStart, bytes[contentEnd - 1] == UInt8(ascii: " ") || bytes[contentEnd - 1] == UInt8(ascii: "\r") {
                contentEnd -= 1
            }
            if contentEnd == lineStart { continue }  // blank line
            let row: ScannedTrade
            do {
                row = try TradeLineScanner.scan(bytes, from: lineStart, to: contentEnd)
            } catch {
                throw LineFailure(line: line, reason: "not a JSON object")
            }
            guard let wallet = row.proxyWallet, let condition = row.conditionId, let side = row.side,
                let outcome = row.outcomeIndex, let size = row.size, let price = row.price,
                let timestamp = row.timestamp
            else {
                throw LineFailure(line: line, reason: "missing one of proxyWallet, conditionId, side, outcomeIndex, size, price, timestamp")
            }
            guard let market = marketByCondition[text(condition)] else {
                throw LineFailure(line: line, reason: "conditionId \(text(condition)) is not in markets.json")
            }
            guard outcome == 0 || outcome == 1 else { throw LineFailure(line: line, reason: "outcomeIndex \(outcome)") }
            if let last = part.timestamp.last, timestamp < last {
                throw LineFailure(line: line, reason: "rows must be oldest first")
            }
            let address = text(wallet).lowercased()
            let walletIndex: Int32
            if let known = part.walletIndex[address] {
                walletIndex = known
            } else {
                walletIndex = Int32(part.walletAddresses.count)
                part.walletAddresses.append(address)
                part.walletIndex[address] = walletIndex
            }
            part.lineStart.append(lineStart)
            part.lineEnd.append(contentEnd)
            part.timestamp.append(timestamp)
            part.wallet.append(walletIndex)
            part.market.append(Int32(market))
            part.outcome.append(UInt8(outcome))
            part.isBuy.append(side.count == 3 && bytes[side.lowerBound] == UInt8(ascii: "B"))
            part.size.append(size)
            part.price.append(price)
            line += 1
        }
        return part
    }
}

/// Gamma writes ids as strings, but accept numbers too.
func stringValue(_ value: Any?) -> String? {
    switch value {
    case let text as String: text
    case let number as Int: String(number)
    case let number as Int64: String(number)
    case let number as Double: decimalString(number, places: 6)
    default: nil
    }
}

/// Gamma's JSON-encoded string lists (`"[\"Yes\", \"No\"]"`), or a plain array.
func decodeStringList(_ value: Any?) -> [String]? {
    if let list = value as? [String] { return list }
    guard let text = value as? String,
        let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any]
    else { return nil }
    return list.compactMap { stringValue($0) }
}
