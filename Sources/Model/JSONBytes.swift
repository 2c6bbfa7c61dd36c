/// A JSON text written byte by byte into one buffer: the hot payloads (`trade.settled`, a
/// million per full settlement) and envelopes, without the intermediate strings of interpolation
/// and concatenation. Writes what `JSONCoding.encoder` writes for the same values.
struct JSONBytes {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always) mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// A JSON string literal (as `JSONCoding.quoted`).
    mutating func quoted(_ text: String) {
        var text = text
        let plain = text.withUTF8 { utf8 -> Bool in
            guard utf8.allSatisfy(JSONCoding.isPlain) else { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if !plain { raw(JSONCoding.quoted(text)) }
    }

    /// An integer's decimal digits.
    mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        digits(value.magnitude, minimumWidth: 1)
    }

    /// A micro-unit amount as `formatMicros` writes it (no trailing zeros, no fraction when whole).
    mutating func micros(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        digits(magnitude / 1_000_000, minimumWidth: 1)
        var fraction = magnitude % 1_000_000
        guard fraction > 0 else { return }
        var width = 6
        while fraction % 10 == 0 { fraction /= 10; width -= 1 }
        bytes.append(UInt8(ascii: "."))
        digits(fraction, minimumWidth: width)
    }

    /// A micro-unit amount as a JSON string (how `FixedPoint6` values are encoded).
    mutating func quotedMicros(_ value: Int64) {
        bytes.append(UInt8(ascii: "\""))
        micros(value)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func digits(_ value: UInt64, minimumWidth: Int) {
        // At most 20 digits; written backwards into a fixed scratch, then copied.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var index = buffer.count
            var rest = value
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            while buffer.count - index < minimumWidth {
                index -= 1
                buffer[index] = UInt8(ascii: "0")
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
