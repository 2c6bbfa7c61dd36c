import Foundation

/// A fast reader of `/trades` answers: a JSON array of flat objects, scanned once over the
/// bytes. It reads exactly what JSONDecoder would (strings with escapes, numbers, literals) and
/// skips nested values; anything it does not expect makes it give up (nil), and the caller
/// falls back to JSONDecoder — so it can be wrong only by being slow, never by misreading.
/// A backfill decodes a million rows: JSONDecoder spent a quarter of the fetcher's CPU on them.
enum TradeRowScanner {
    static func entries(_ body: [UInt8]) -> [PolymarketClient.TradesPage.Entry]? {
        var scanner = Scanner(bytes: body)
        guard scanner.consume(UInt8(ascii: "[")) else { return nil }
        var entries: [PolymarketClient.TradesPage.Entry] = []
        if scanner.consume(UInt8(ascii: "]")) { return scanner.atEnd ? entries : nil }
        repeat {
            let start = scanner.index
            guard let fields = scanner.object() else { return nil }
            if let row = row(fields) {
                entries.append(.row(row))
            } else {
                // A row that is not a trade row: kept whole for the dead-letter table.
                entries.append(.undecodable(raw: String(decoding: body[start..<scanner.index], as: UTF8.self), reason: "not a /trades row"))
            }
        } while scanner.consume(UInt8(ascii: ","))
        guard scanner.consume(UInt8(ascii: "]")), scanner.atEnd else { return nil }
        return entries
    }

    enum Value {
        case string(String)
        case number(Double)
        case null
        case other
    }

    static func row(_ fields: [String: Value]) -> DataAPITradeRow? {
        func string(_ key: String) -> String? { if case .string(let s)? = fields[key] { return s } else { return nil } }
        func number(_ key: String) -> Double? { if case .number(let n)? = fields[key] { return n } else { return nil } }
        func optionalString(_ key: String) -> String?? {
            switch fields[key] {
            case nil, .null?: return .some(nil)
            case .string(let s)?: return .some(s)
            default: return nil  // present but not a string: not the shape JSONDecoder accepts
            }
        }
        guard let wallet = string("proxyWallet"), let side = string("side"), let asset = string("asset"),
            let condition = string("conditionId"), let size = number("size"), let price = number("price"),
            let timestamp = number("timestamp"), timestamp == timestamp.rounded(), abs(timestamp) < 1e15,
            let index = number("outcomeIndex"), index == index.rounded(), abs(index) < 1e9,
            let hash = string("transactionHash"), let title = optionalString("title"), let outcome = optionalString("outcome")
        else { return nil }
        return DataAPITradeRow(
            proxyWallet: wallet, side: side, asset: asset, conditionId: condition, size: size, price: price,
            timestamp: Int64(timestamp), title: title, outcome: outcome, outcomeIndex: Int(index), transactionHash: hash)
    }

    struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            skipSpace()
        }

        var atEnd: Bool { index == bytes.count }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            skipSpace()
            return true
        }

        /// `{ "key": value, … }` with scalar values kept and nested ones skipped.
        mutating func object() -> [String: Value]? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var fields: [String: Value] = [:]
            if consume(UInt8(ascii: "}")) { return fields }
            repeat {
                guard let key = string(), consume(UInt8(ascii: ":")), let value = value() else { return nil }
                fields[key] = value
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "}")) ? fields : nil
        }

        mutating func value() -> Value? {
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number().map(Value.number)
            case UInt8(ascii: "t"): return literal("true") ? .other : nil
            case UInt8(ascii: "f"): return literal("false") ? .other : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            case UInt8(ascii: "{"): return object() != nil ? .other : nil
            case UInt8(ascii: "["):
                _ = consume(UInt8(ascii: "["))
                if consume(UInt8(ascii: "]")) { return .other }
                repeat { guard value() != nil else { return nil } } while consume(UInt8(ascii: ","))
                return consume(UInt8(ascii: "]")) ? .other : nil
            default: return nil
            }
        }

        mutating func literal(_ word: String) -> Bool {
            let utf8 = Array(word.utf8)
            guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else { return false }
            index += utf8.count
            skipSpace()
            return true
        }

        mutating func number() -> Double? {
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                    UInt8(ascii: "e"), UInt8(ascii: "E"):
                    index += 1
                default:
                    let text = String(decoding: bytes[start..<index], as: UTF8.self)
                    skipSpace()
                    return Double(text)
                }
            }
            return nil
        }

        /// Four hex digits of a `\u` escape.
        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else { return nil }
            index += 4
            return code
        }

        /// A string literal; escapes decoded (a lone surrogate makes it give up).
        mutating func string() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            let start = index
            // Fast path: no escape before the closing quote.
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
                guard bytes[index] >= 0x20 else { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 1
                skipSpace()
                return text
            }
            var out = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    skipSpace()
                    return String(decoding: out, as: UTF8.self)
                }
                guard byte >= 0x20 else { return nil }
                if byte != UInt8(ascii: "\\") {
                    out.append(byte)
                    index += 1
                    continue
                }
                guard index + 1 < bytes.count else { return nil }
                let escape = bytes[index + 1]
                index += 2
                switch escape {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var code = hex4() else { return nil }
                    if (0xD800...0xDBFF).contains(code) {
                        // A surrogate pair: the low half must follow as another \u escape.
                        guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                        else { return nil }
                        index += 2
                        guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { return nil }
                    out += Array(String(Character(scalar)).utf8)
                default: return nil
                }
            }
            return nil
        }
    }
}
