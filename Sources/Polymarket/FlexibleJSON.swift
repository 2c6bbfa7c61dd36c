import Foundation

/// Decoding helpers for the shapes Polymarket really sends: lists encoded inside strings
/// (`"[\"Yes\", \"No\"]"`), numbers sent as strings, and either form for the same key.
extension KeyedDecodingContainer {
    /// A list of strings sent as a JSON array or as a string holding one; missing or null → [].
    func encodedStringList(_ key: Key) throws -> [String] {
        if try !contains(key) || decodeNil(forKey: key) { return [] }
        if let list = try? decode([String].self, forKey: key) { return list }
        let text = try decode(String.self, forKey: key)
        if text.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
        guard let data = text.data(using: .utf8),
            let list = try? JSONSerialization.jsonObject(with: data) as? [Any]
        else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a JSON-encoded list: \(text.prefix(80))")
        }
        // Elements may be strings or numbers ("[\"0.5\", 0.5]"): keep their text.
        return list.map { element in
            if let s = element as? String { return s }
            return "\(element)"
        }
    }

    /// A number sent as a JSON number or as a numeric string; missing or null → nil.
    func flexibleDouble(_ key: Key) throws -> Double? {
        if try !contains(key) || decodeNil(forKey: key) { return nil }
        if let number = try? decode(Double.self, forKey: key) { return number }
        let text = try decode(String.self, forKey: key)
        if text.isEmpty { return nil }
        guard let number = Double(text.trimmingCharacters(in: .whitespaces)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a number: \(text.prefix(40))")
        }
        return number
    }

    /// An integer sent as a number or a string (ranks, millisecond timestamps).
    func flexibleInt64(_ key: Key) throws -> Int64? {
        if try !contains(key) || decodeNil(forKey: key) { return nil }
        if let number = try? decode(Int64.self, forKey: key) { return number }
        if let text = try? decode(String.self, forKey: key), let number = Int64(text.trimmingCharacters(in: .whitespaces)) {
            return number
        }
        if let number = try? decode(Double.self, forKey: key), number == number.rounded() { return Int64(number) }
        throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an integer")
    }

    /// A decimal number's text, whether sent as a string or a number (volumes, prices).
    func decimalText(_ key: Key) throws -> String? {
        if try !contains(key) || decodeNil(forKey: key) { return nil }
        if let text = try? decode(String.self, forKey: key) { return text }
        return "\(try decode(Double.self, forKey: key))"
    }
}

/// Checks a 2xx body for the `{"error": ...}` answer Polymarket sends with HTTP 200 when it
/// throttles: such a body is an error, never data.
func errorMessage(in body: [UInt8]) -> String? {
    var index = body.startIndex
    while index < body.endIndex, body[index] == 0x20 || body[index] == 0x0A || body[index] == 0x0D || body[index] == 0x09 {
        index += 1
    }
    // Error answers are tiny; a large object is data (a book, a page of markets).
    guard body.count < 4096, index < body.endIndex, body[index] == UInt8(ascii: "{") else { return nil }
    guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let error = object["error"] else {
        return nil
    }
    return "\(error)"
}
