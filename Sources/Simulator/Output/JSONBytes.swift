import Foundation

/// Serializes plain JSON values (`[String: Any]`, `[Any]`, `String`, `Bool`, `Int`, `Double`,
/// `NSNull`) with sorted keys and unescaped slashes. Foundation's serializer takes seconds for
/// a few thousand Gamma objects on Linux; this takes milliseconds and its bytes never change
/// with the platform.
enum JSONBytes {
    static func data(_ value: Any) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(1 << 16)
        append(value, to: &out)
        return Data(out)
    }

    static func append(_ value: Any, to out: inout [UInt8]) {
        switch value {
        case let text as String:
            out.append(UInt8(ascii: "\""))
            out += Array(jsonEscaped(text).utf8)
            out.append(UInt8(ascii: "\""))
        case let flag as Bool:
            out += Array((flag ? "true" : "false").utf8)
        case let number as Int:
            out += Array(String(number).utf8)
        case let number as Int64:
            out += Array(String(number).utf8)
        case let number as Double:
            out += Array((number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : "\(number)").utf8)
        case let object as [String: Any]:
            out.append(UInt8(ascii: "{"))
            for (i, key) in object.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                append(key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(object[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let list as [Any]:
            out.append(UInt8(ascii: "["))
            for (i, item) in list.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            out += Array("null".utf8)
        }
    }
}
