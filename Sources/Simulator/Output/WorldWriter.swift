public import Foundation

/// Writes a world's files (see ``WorldFileName``). Rows are formatted by hand into byte buffers:
/// a million trades must be written in seconds, and the bytes must not depend on a JSON
/// library's key order or number formatting.
public enum WorldWriter {
    public static func write(_ world: SimulatedWorld, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
        let clock = ContinuousClock()
        var mark = clock.now
        func lap(_ name: String) {
            if ProcessInfo.processInfo.environment["REMORA_SIM_PROFILE"] != nil { FileHandle.standardError.write(Data("\(name): \(clock.now - mark)\n".utf8)) }
            mark = clock.now
        }
        try manifestData(world).write(to: url(WorldFileName.manifest))
        try writeTrades(world, to: url(WorldFileName.trades))
        lap("trades")
        try marketsData(world).write(to: url(WorldFileName.markets))
        lap("markets")
        try pricesData(world).write(to: url(WorldFileName.prices))
        lap("prices")
        try truthData(world).write(to: url(WorldFileName.truth))
        lap("truth")
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

    /// `trades.ndjson`, streamed in 4 MB blocks.
    static func writeTrades(_ world: SimulatedWorld, to url: URL, watermark: Int64? = nil) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        let rows = TradeRowFormatter(world: world)
        var buffer = [UInt8]()
        buffer.reserveCapacity(4 << 20 + 4096)
        for trade in world.trades {
            rows.append(trade, to: &buffer)
            buffer.append(0x0A)
            if buffer.count >= 4 << 20 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if let watermark { buffer += Array("{\"watermark\":\(watermark)}\n".utf8) }
        try handle.write(contentsOf: buffer)
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
                out += Array(decimalString(p, places: 4).utf8)
            }
            out += Array("]}\n".utf8)
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
        return WorldTruth(
            generator: WorldParameters.generatorVersion, seed: world.parameters.seed, wallets: world.wallets.map(\.truth),
            markets: world.markets.map(\.truth),
            trades: TradeTruth(labels: String(decoding: labels, as: UTF8.self), roles: String(decoding: roles, as: UTF8.self)))
    }

    static func truthData(_ world: SimulatedWorld) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(truth(world)) + Data("\n".utf8)
    }
}

/// Formats Data API `/trades` rows, with the key order of the real API.
struct TradeRowFormatter {
    /// Per market: `"asset"` values and the constant tail fields, escaped once.
    let marketParts: [(tokens: [String], condition: String, title: String, slug: String, icon: String, eventSlug: String)]
    let walletParts: [(address: String, name: String, pseudonym: String)]
    let outcomes = ["Yes", "No"]

    init(world: SimulatedWorld) {
        marketParts = world.markets.map { m in
            (m.truth.tokenIds, m.truth.conditionId, jsonEscaped(m.question), m.slug, m.icon, m.event.slug)
        }
        walletParts = world.wallets.map { ($0.truth.address, jsonEscaped($0.truth.name), jsonEscaped($0.truth.pseudonym)) }
    }

    func append(_ t: SimulatedTrade, to out: inout [UInt8]) {
        let m = marketParts[Int(t.market)]
        let w = walletParts[Int(t.wallet)]
        let o = Int(t.outcomeIndex)
        var hasher = SplitMix64(seed: t.transactionSeed)
        let hash = hasher.nextHex(digits: 64)
        let size = decimalString(Double(t.sharesMicros) / 1e6, places: 6)
        let text = """
            {"proxyWallet":"\(w.address)","side":"\(t.isBuy ? "BUY" : "SELL")","asset":"\(m.tokens[o])","conditionId":"\(m.condition)",\
            "size":\(size),"price":\(t.rowPrice),"timestamp":\(t.time),"title":"\(m.title)","slug":"\(m.slug)",\
            "icon":"\(m.icon)","eventSlug":"\(m.eventSlug)","outcome":"\(outcomes[o])","outcomeIndex":\(o),\
            "name":"\(w.name)","pseudonym":"\(w.pseudonym)","bio":"","profileImage":"","profileImageOptimized":"",\
            "transactionHash":"0x\(hash)"}
            """
        out += Array(text.utf8)
    }
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
