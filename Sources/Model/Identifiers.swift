/// An identifier written as "0x" + a fixed number of hex digits, stored lower-case; decoding
/// rejects anything else.
public protocol HexIdentifier: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// Hex digits after "0x".
    static var digits: Int { get }
    var rawValue: String { get }
    /// Wraps text already known to be "0x" + `digits` lower-case hex digits (use `init?(_:)` otherwise).
    init(validated rawValue: String)
}

extension HexIdentifier {
    public init?(_ text: String) {
        let lower = text.lowercased()
        guard isHex(lower, digits: Self.digits) else { return nil }
        self.init(validated: lower)
    }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not 0x + \(Self.digits) hex digits: \(text)")
        }
        self = value
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A Polymarket proxy wallet: "0x" + 40 hex digits.
public struct WalletAddress: HexIdentifier {
    public static let digits = 40
    public let rawValue: String
    public init(validated rawValue: String) { self.rawValue = rawValue }
}

/// A market's condition id: "0x" + 64 hex digits.
public struct ConditionID: HexIdentifier {
    public static let digits = 64
    public let rawValue: String
    public init(validated rawValue: String) { self.rawValue = rawValue }
}

/// An outcome token id: a decimal string of up to 78 digits (a uint256).
public typealias TokenID = String

/// Buy or sell, as the Data API spells it.
public enum Side: String, Sendable, Codable, Hashable {
    case buy = "BUY"
    case sell = "SELL"
}

private func isHex(_ text: String, digits: Int) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == digits + 2, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "x") else { return false }
    return bytes.dropFirst(2).allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
}
