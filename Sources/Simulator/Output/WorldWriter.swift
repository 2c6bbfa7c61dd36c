public import Foundation

/// Writes a world's files (see ``WorldFileName``). Rows are formatted by hand into byte buffers:
/// a million trades must be written in seconds, and the bytes must not depend on a JSON
/// library's key order or number formatting.
/// A world file that could not be written, with which one.
public struct WorldWriteError: Error, CustomStringConvertible {
    public let description: String
}

public enum WorldWriter {
    public static func write(_ world: SimulatedWorld, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        @Sendable func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
        try manifestData(world).write(to: url(WorldFileName.manifest))
        // The files are independent: formatted side by side, the largest first (a million-trade
        // world wrote in 4.3–6.8 s one after another on the 2-core VM).
        let jobs: [(name: String, write: @Sendable () throws -> Void)] = [
            ("truth", { try truthData(world).write(to: url(WorldFileName.truth)) }),
            ("trades", { try writeTrades(world, to: url(WorldFileName.trades)) }),
            ("markets", { try marketsData(world).write(to: url(WorldFileName.markets)) }),
            ("prices", { try pricesData(world).write(to: url(WorldFileName.prices)) }),
            ("conversions", { try conversionsData(world).write(to: url(WorldFileName.conversions)) }),
        ]
        let profile = ProcessInfo.processInfo.environment["REMORA_SIM_PROFILE"] != nil
        let failures = parallelMap(jobs.count) { index -> String? in
            let started = ContinuousClock.now
            do { try jobs[index].write() } catch { return "\(jobs[index].name): \(error)" }
            if profile { FileHandle.standardError.write(Data("\(jobs[index].name): \(ContinuousClock.now - started)\n".utf8)) }
            return nil
        }
        if let failure = failures.compactMap({ $0 }).first { throw WorldWriteError(description: failure) }
    }

    /// A conversion as the Data API's `/activity` lists it (a CONVERSION row: the shape the API
    /// stub serves), for the pipeline feed.
    static func activityLine(of c: SimulatedConversion, in world: SimulatedWorld) -> String {
        let market = world.markets[Int(c.market)]
        let title = String(decoding: (try? JSONEncoder().encode(market.question)) ?? Data("\"\"".utf8), as: UTF8.self)
        return "{\"asset\":\"\(market.truth.tokenIds[1])\",\"conditionId\":\"\(market.truth.conditionId)\",\"outcome\":\"No\",\"outcomeIndex\":1,\"price\":0,\"proxyWallet\":\"\(world.wallets[Int(c.wallet)].truth.address)\",\"side\":\"\",\"size\":\(decimalString(Double(c.sharesMicros) / 1e6, places: 6)),\"timestamp\":\(c.time),\"title\":\(title),\"transactionHash\":\"\(c.transactionHash)\",\"type\":\"CONVERSION\",\"usdcSize\":0}"
    }

    /// `conversions.ndjson`: one negative-risk conversion a line, oldest first — what the Data
    /// API's `/activity` lists as CONVERSION rows.
    public static func conversionsData(_ world: SimulatedWorld) -> Data {
        var text = ""
        for c in world.conversions {
            let market = world.markets[Int(c.market)]
            let row = ConversionRow(
                time: c.time, wallet: world.wallets[Int(c.wallet)].truth.address, conditionId: market.truth.conditionId,
                asset: market.truth.tokenIds[1], shares: decimalString(Double(c.sharesMicros) / 1e6, places: 6),
                transactionHash: c.transactionHash)
            text += row.line + "\n"
        }
        return Data(text.utf8)
    }

    public static func manifest(_ world: SimulatedWorld) -> WorldManifest {
        let p = world.parameters
        return WorldManifest(
            generator: WorldParameters.generatorVersion, seed: p.seed, wallets: p.wallets, markets: p.markets,
            months: p.months, startTime: p.startTime, endTime: p.endTime, trades: world.trades.count)
    }

    static func manifestData(_ world: SimulatedWorld) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(manifest(world)) + Data("\n".utf8)
    }

    // MARK: trades

    /// `trades.ndjson`: blocks of rows formatted on all cores, written in order, a few blocks
    /// in memory at a time.
    /// `roles`: each row says `"role": "taker" | "maker"` (the pipeline feed's extension; the
    /// world's own file stays in the Data API's shape, which the stub serves as it is).
    static func writeTrades(_ world: SimulatedWorld, to url: URL, watermark: Int64? = nil, roles: Bool = false) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        let rows = TradeRowFormatter(world: world)
        // The pipeline feed carries the conversions too, each after the fills of its instant (the
        // file is in event time: its reader's watermark follows the rows).
        var conversionsBefore: [Int: [Int]] = [:]
        if roles {
            for (k, c) in world.conversions.enumerated() {
                var lo = 0, hi = world.trades.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if world.trades[mid].time <= c.time { lo = mid + 1 } else { hi = mid }
                }
                conversionsBefore[lo, default: []].append(k)
            }
        }
        let conversionsAt = conversionsBefore
        let conversionLines = conversionsAt.isEmpty ? [] : world.conversions.map { Array((activityLine(of: $0, in: world) + "\n").utf8) }
        let blockSize = 16_384
        let blocks = (world.trades.count + blockSize - 1) / blockSize
        let window = ProcessInfo.processInfo.activeProcessorCount * 2
        var first = 0
        while first < blocks {
            let count = min(window, blocks - first)
            let base = first
            let formatted = parallelMap(count) { k in
                let lower = (base + k) * blockSize
                let upper = min(lower + blockSize, world.trades.count)
                var buffer = [UInt8]()
                buffer.reserveCapacity((upper - lower) * 800)
                for i in lower..<upper {
                    for k in conversionsAt[i] ?? [] { buffer += conversionLines[k] }
                    rows.append(world.trades[i], to: &buffer)
                    if roles {
                        buffer.removeLast()  // the closing brace
                        buffer += world.trades[i].isMaker ? TradeRowFormatter.makerRole : TradeRowFormatter.takerRole
                    }
                    buffer.append(0x0A)
                }
                return buffer
            }
            for buffer in formatted { try handle.write(contentsOf: buffer) }
            first += count
        }
        for k in conversionsAt[world.trades.count] ?? [] { try handle.write(contentsOf: conversionLines[k]) }
        if let watermark { try handle.write(contentsOf: Array("{\"watermark\":\(watermark)}\n".utf8)) }
    }

    // MARK: markets

    /// `markets.json`: the Gamma objects as of the world's end.
    static func marketsData(_ world: SimulatedWorld) -> Data {
        var volumes = [Double](repeating: 0, count: world.markets.count)
        for t in world.trades { volumes[Int(t.market)] += Double(t.usdcMicros) / 1e6 }
        let objects = world.markets.indices.map { i in
            GammaMarketObject.object(world.markets[i], at: world.endTime, volume: volumes[i])
        }
        return JSONBytes.data(objects)
    }

    // MARK: prices

    static func pricesData(_ world: SimulatedWorld) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(world.markets.reduce(0) { $0 + $1.history.p.count * 7 + 256 })
        for market in world.markets {
            let h = market.history
            out += Array("{\"conditionId\":\"\(h.conditionId)\",\"token\":\"\(h.token)\",\"start\":\(h.start),\"step\":\(h.step),\"p\":[".utf8)
            for (i, p) in h.p.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendFourDecimals(p, to: &out)
            }
            out += Array("]".utf8)
            if !h.moves.isEmpty {
                out += Array(",\"moves\":[".utf8)
                for (i, move) in h.moves.enumerated() {
                    out += Array("\(i > 0 ? "," : "")[\(move.time),\(move.shift)]".utf8)
                }
                out += Array("]".utf8)
            }
            out += Array("}\n".utf8)
        }
        return Data(out)
    }

    // MARK: truth

    public static func truth(_ world: SimulatedWorld) -> WorldTruth {
        var labels = [UInt8]()
        var roles = [UInt8]()
        labels.reserveCapacity(world.trades.count)
        roles.reserveCapacity(world.trades.count)
        for t in world.trades {
            labels.append(t.positiveExpectedValue ? UInt8(ascii: "+") : UInt8(ascii: "-"))
            roles.append(t.isMaker ? UInt8(ascii: "M") : UInt8(ascii: "T"))
        }
        let lag = world.parameters.copyLagSeconds
        let copies = CopyValue(world)
        let copyValues = parallelMap(world.trades.count) { copies.perDollar(trade: $0, lag: lag) }
        return WorldTruth(
            generator: WorldParameters.generatorVersion, seed: world.parameters.seed, wallets: world.wallets.map(\.truth),
            markets: world.markets.map(\.truth),
            trades: TradeTruth(
                labels: String(decoding: labels, as: UTF8.self), roles: String(decoding: roles, as: UTF8.self), copyLagSeconds: lag,
                copyValues: copyValues))
    }

    static func truthData(_ world: SimulatedWorld) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(truth(world)) + Data("\n".utf8)
    }
}

/// Formats Data API `/trades` rows, with the key order of the real API. Per-market and
/// per-wallet fragments are escaped and encoded once; a row is then a few byte copies.
struct TradeRowFormatter: Sendable {
    struct MarketBytes: Sendable {
        var assets: [[UInt8]]
        /// `","conditionId":"…","size":` follows the asset.
        var afterAsset: [UInt8]
        /// `,"title":"…","slug":"…","icon":"…","eventSlug":"…","outcome":"` follows the timestamp.
        var afterTimestamp: [UInt8]
    }

    let markets: [MarketBytes]
    /// `{"proxyWallet":"0x…","side":"` and `","pseudonym":…` fragments.
    let walletHeads: [[UInt8]]
    let walletTails: [[UInt8]]

    init(world: SimulatedWorld) {
        markets = world.markets.map { m in
            MarketBytes(
                assets: m.truth.tokenIds.map { Array($0.utf8) },
                afterAsset: Array("\",\"conditionId\":\"\(m.truth.conditionId)\",\"size\":".utf8),
                afterTimestamp: Array(
                    ",\"title\":\"\(jsonEscaped(m.question))\",\"slug\":\"\(m.slug)\",\"icon\":\"\(m.icon)\",\"eventSlug\":\"\(m.event.slug)\",\"outcome\":\"".utf8))
        }
        walletHeads = world.wallets.map { Array("{\"proxyWallet\":\"\($0.truth.address)\",\"side\":\"".utf8) }
        walletTails = world.wallets.map {
            Array(",\"name\":\"\(jsonEscaped($0.truth.name))\",\"pseudonym\":\"\(jsonEscaped($0.truth.pseudonym))\",\"bio\":\"\",\"profileImage\":\"\",\"profileImageOptimized\":\"\",\"transactionHash\":\"0x".utf8)
        }
    }

    func append(_ t: SimulatedTrade, to out: inout [UInt8]) {
        let m = markets[Int(t.market)]
        let o = Int(t.outcomeIndex)
        out += walletHeads[Int(t.wallet)]
        out += t.isBuy ? Self.buy : Self.sell
        out += Self.assetKey
        out += m.assets[o]
        out += m.afterAsset
        appendMicros(t.sharesMicros, to: &out)
        out += Self.priceKey
        out += Array("\(t.rowPrice)".utf8)
        out += Self.timestampKey
        out += Array(String(t.time).utf8)
        out += m.afterTimestamp
        out += o == 0 ? Self.yes : Self.no
        out += Self.outcomeIndexKey
        out.append(UInt8(ascii: "0") + t.outcomeIndex)
        out += walletTails[Int(t.wallet)]
        Self.appendTransactionDigits(t.transactionSeed, to: &out)
        out += Self.close
    }

    /// A micro-unit amount as the shortest decimal (`13.636362`, `15`).
    func appendMicros(_ micros: Int64, to out: inout [UInt8]) {
        out += Array(String(micros / 1_000_000).utf8)
        var fraction = micros % 1_000_000
        guard fraction != 0 else { return }
        var digits = 6
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        out.append(UInt8(ascii: "."))
        let text = Array(String(fraction).utf8)
        out += [UInt8](repeating: UInt8(ascii: "0"), count: digits - text.count)
        out += text
    }

    /// The 64 hex digits of a fill's transaction hash (after its `0x`).
    static func appendTransactionDigits(_ seed: UInt64, to out: inout [UInt8]) {
        var hasher = SplitMix64(seed: seed)
        for _ in 0..<4 {
            var word = hasher.next()
            for _ in 0..<16 {
                out.append(Self.hexDigits[Int(word & 15)])
                word >>= 4
            }
        }
    }

    static let buy = Array("BUY".utf8)
    static let sell = Array("SELL".utf8)
    static let assetKey = Array("\",\"asset\":\"".utf8)
    static let priceKey = Array(",\"price\":".utf8)
    static let timestampKey = Array(",\"timestamp\":".utf8)
    static let yes = Array("Yes".utf8)
    static let no = Array("No".utf8)
    static let outcomeIndexKey = Array("\",\"outcomeIndex\":".utf8)
    static let close = Array("\"}".utf8)
    static let takerRole = Array(",\"role\":\"taker\"}".utf8)
    static let makerRole = Array(",\"role\":\"maker\"}".utf8)
    static let hexDigits = Array("0123456789abcdef".utf8)
}

/// JSON string escaping for the few characters that need it.
func jsonEscaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// A probability in [0, 1] with at most four decimals, trailing zeros dropped ("0.53", "1").
func appendFourDecimals(_ value: Double, to out: inout [UInt8]) {
    var scaled = Int((min(1, max(0, value)) * 10_000).rounded())
    if scaled == 10_000 { out.append(UInt8(ascii: "1")); return }
    out.append(UInt8(ascii: "0"))
    guard scaled > 0 else { return }
    out.append(UInt8(ascii: "."))
    var digits = 4
    while scaled % 10 == 0 {
        scaled /= 10
        digits -= 1
    }
    var text = [UInt8](repeating: UInt8(ascii: "0"), count: digits)
    var i = digits - 1
    while scaled > 0 {
        text[i] = UInt8(ascii: "0") + UInt8(scaled % 10)
        scaled /= 10
        i -= 1
    }
    out += text
}

extension SimulatedTrade {
    /// The transaction hash its `/trades` row carries ("0x" + 64 hex digits): the maker and taker
    /// fills of one match share it.
    public var transactionHash: String {
        var digits: [UInt8] = []
        TradeRowFormatter.appendTransactionDigits(transactionSeed, to: &digits)
        return "0x" + String(decoding: digits, as: UTF8.self)
    }
}
