import Foundation

/// The few fields of one `/trades` row the stub indexes, as byte ranges of the line (string
/// values without their quotes) or parsed numbers.
struct ScannedTrade {
    var proxyWallet: Range<Int>?
    var conditionId: Range<Int>?
    var side: Range<Int>?
    var outcomeIndex: Int?
    var size: Double?
    var price: Double?
    var timestamp: Int64?
}

/// Reads a flat JSON object (one `trades.ndjson` line) without a JSON decoder: a million rows
/// must load in seconds, and only seven of the twenty keys matter. Values it does not need
/// (titles with escapes, URLs) are skipped, not decoded.
struct TradeLineScanner {
    enum Failure: Error { case malformed(at: Int) }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    /// Scans `bytes[start..<end]`, one JSON object.
    static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) throws -> ScannedTrade {
        var row = ScannedTrade()
        var i = skipSpace(bytes, start, end)
        guard i < end, bytes[i] == UInt8(ascii: "{") else { throw Failure.malformed(at: i) }
        i += 1
        while true {
            i = skipSpace(bytes, i, end)
            guard i < end else { throw Failure.malformed(at: i) }
            if bytes[i] == UInt8(ascii: "}") { return row }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            let key = try stringRange(bytes, i, end)
            i = key.upperBound + 1
            i = skipSpace(bytes, i, end)
            guard i < end, bytes[i] == UInt8(ascii: ":") else { throw Failure.malformed(at: i) }
            i = skipSpace(bytes, i + 1, end)
            guard i < end else { throw Failure.malformed(at: i) }
            let valueStart = i
            let isString = bytes[i] == quote
            let valueEnd: Int
            if isString {
                valueEnd = try stringRange(bytes, i, end).upperBound
                i = valueEnd + 1
            } else {
                i = try skipValue(bytes, i, end)
                valueEnd = i
            }
            switch field(bytes, key) {
            case .proxyWallet where isString: row.proxyWallet = (valueStart + 1)..<valueEnd
            case .conditionId where isString: row.conditionId = (valueStart + 1)..<valueEnd
            case .side where isString: row.side = (valueStart + 1)..<valueEnd
            case .outcomeIndex: row.outcomeIndex = parseInteger(bytes, valueStart, valueEnd).map(Int.init)
            case .timestamp: row.timestamp = parseInteger(bytes, valueStart, valueEnd)
            case .size: row.size = parseDouble(bytes, valueStart, valueEnd)
            case .price: row.price = parseDouble(bytes, valueStart, valueEnd)
            default: break
            }
        }
    }

    private enum Field { case proxyWallet, conditionId, side, outcomeIndex, timestamp, size, price, other }

    private static let names: [(Field, [UInt8])] = [
        (.proxyWallet, Array("proxyWallet".utf8)), (.conditionId, Array("conditionId".utf8)),
        (.side, Array("side".utf8)), (.outcomeIndex, Array("outcomeIndex".utf8)),
        (.timestamp, Array("timestamp".utf8)), (.size, Array("size".utf8)), (.price, Array("price".utf8)),
    ]

    private static func field(_ bytes: UnsafeRawBufferPointer, _ key: Range<Int>) -> Field {
        let keyStart = key.lowerBound + 1  // after the opening quote
        let length = key.upperBound - keyStart
        for (field, name) in names where name.count == length {
            var same = true
            for j in 0..<length where bytes[keyStart + j] != name[j] {
                same = false
                break
            }
            if same { return field }
        }
        return .other
    }

    /// The range from the opening quote to the closing quote (exclusive of the closing one).
    private static func stringRange(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws -> Range<Int> {
        guard start < end, bytes[start] == quote else { throw Failure.malformed(at: start) }
        var i = start + 1
        while i < end {
            let byte = bytes[i]
            if byte == quote { return start..<i }
            i += byte == backslash ? 2 : 1
        }
        throw Failure.malformed(at: start)
    }

    /// Skips a number, literal, object or array; returns the index after it.
    private static func skipValue(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws -> Int {
        var i = start
        var depth = 0
        while i < end {
            let byte = bytes[i]
            switch byte {
            case quote: i = try stringRange(bytes, i, end).upperBound
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return i }
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 0 { return i }
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return i
    }

    private static func skipSpace(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int {
        var i = start
        while i < end {
            switch bytes[i] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): i += 1
            default: return i
            }
        }
        return i
    }

    private static func parseInteger(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int64? {
        var i = start
        var negative = false
        if i < end, bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < end else { return nil }
        var value: Int64 = 0
        while i < end {
            let digit = bytes[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int64(digit)
            i += 1
        }
        return negative ? -value : value
    }

    /// `strtod` on a NUL-terminated copy: exact (correctly rounded) and locale-free in a Swift
    /// process, which never calls `setlocale`.
    private static func parseDouble(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Double? {
        let length = end - start
        guard length > 0, length < 64 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            for j in 0..<length { buffer[j] = CChar(bitPattern: bytes[start + j]) }
            buffer[length] = 0
            var stop: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &stop)
            return stop == buffer.baseAddress! + length ? value : nil
        }
    }
}
