/// A quantity with exactly six decimals held as integer micro-units, the precision Polymarket
/// uses for USDC and for share quantities. On the wire it is a decimal string ("12.5", "-0.000001")
/// so that no JSON reader turns it into a binary float; in PostgreSQL it is a BIGINT of micro-units.
public protocol FixedPoint6: Sendable, Hashable, Comparable, Codable, CustomStringConvertible,
    AdditiveArithmetic, ExpressibleByIntegerLiteral
{
    /// The value in micro-units (1 unit = 1,000,000 micro-units).
    var micros: Int64 { get }
    init(micros: Int64)
}

/// Scale of every `FixedPoint6` value.
public let microsPerUnit: Int64 = 1_000_000

extension FixedPoint6 {
    public init(integerLiteral value: Int64) { self.init(micros: value * microsPerUnit) }
    public static var zero: Self { Self(micros: 0) }
    public static func + (a: Self, b: Self) -> Self { Self(micros: a.micros + b.micros) }
    public static func - (a: Self, b: Self) -> Self { Self(micros: a.micros - b.micros) }
    public static prefix func - (a: Self) -> Self { Self(micros: -a.micros) }
    public static func < (a: Self, b: Self) -> Bool { a.micros < b.micros }

    /// Parses a decimal string with at most six fractional digits ("0.5", "-12.000001", "3").
    public init?(decimal text: some StringProtocol) {
        guard let micros = parseMicros(text) else { return nil }
        self.init(micros: micros)
    }

    /// Nearest representable value to a binary float, for inputs that arrive as JSON numbers
    /// with float noise (Polymarket's `size`, `price`). Half-away-from-zero rounding.
    public init?(rounding value: Double) {
        let scaled = (value * Double(microsPerUnit)).rounded(.toNearestOrAwayFromZero)
        guard scaled.isFinite, abs(scaled) < 9.2e18 else { return nil }
        self.init(micros: Int64(scaled))
    }

    /// The value as a `Double`, for analytics only (ratios, statistics) — never for money flow.
    public var doubleValue: Double { Double(micros) / Double(microsPerUnit) }

    /// Canonical decimal text: no trailing zeros, at least one integer digit.
    public var description: String { formatMicros(micros) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let value = Self(decimal: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not a decimal with ≤ 6 fractional digits: \(text)")
            }
            self = value
        } else {
            let number = try container.decode(Double.self)
            guard let value = Self(rounding: number) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "out of range: \(number)")
            }
            self = value
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An amount of USDC.
public struct USDC: FixedPoint6 {
    public var micros: Int64
    public init(micros: Int64) { self.micros = micros }
}

/// A quantity of outcome-token shares.
public struct Shares: FixedPoint6 {
    public var micros: Int64
    public init(micros: Int64) { self.micros = micros }
}

/// A price in USDC per share, in [0, 1] for outcome tokens.
public struct Price: FixedPoint6 {
    public var micros: Int64
    public init(micros: Int64) { self.micros = micros }

    /// Rounds to the nearest multiple of `tick` (e.g. 0.01); Polymarket prices carry float noise.
    public func rounded(toTick tick: Price) -> Price {
        guard tick.micros > 0 else { return self }
        let q = (micros + tick.micros / 2) / tick.micros
        return Price(micros: q * tick.micros)
    }
}

extension Shares {
    /// Cash value of these shares at `price`, truncated toward zero to the micro-USDC, as the
    /// exchange's and the token contract's integer arithmetic does (see "Money" in
    /// docs/architecture.md). Full-width multiplication: no bounded quantity overflows.
    public func value(at price: Price) -> USDC {
        USDC(micros: mulDivTruncated(micros, price.micros, microsPerUnit))
    }
}

extension USDC {
    /// Shares that this cash buys at `price`, rounded down to the micro-share (never overspend).
    public func shares(at price: Price) -> Shares {
        guard price.micros > 0 else { return .zero }
        return Shares(micros: price.micros.dividingFullWidth(micros.multipliedFullWidth(by: microsPerUnit)).quotient)
    }

    /// This amount scaled by a fraction expressed in parts per million (e.g. 20_000 = 2 %).
    public func scaled(partsPerMillion ppm: Int64) -> USDC {
        USDC(micros: mulDivRounded(micros, ppm, 1_000_000))
    }
}

extension USDC {
    /// The largest amount a setting or flag may hold (10¹² USDC): sums of a book stay far inside Int64.
    public static let largestSetting = USDC(micros: 1_000_000_000_000 * microsPerUnit)
}

/// `a × b / d` truncated toward zero, without intermediate overflow.
@inlinable
public func mulDivTruncated(_ a: Int64, _ b: Int64, _ d: Int64) -> Int64 {
    d.dividingFullWidth(a.multipliedFullWidth(by: b)).quotient
}

/// An amount from outside that does not fit the model (a sum or product past Int64 micros, a
/// quantity beyond its bound): a typed error that dead-letters its row, never a trap.
public struct AmountOutOfRange: Error, CustomStringConvertible, Sendable {
    public var what: String
    public init(_ what: String) { self.what = what }
    public var description: String { "amount out of range: \(what)" }
}

extension FixedPoint6 {
    /// `self + other`, or a typed error where `+` would trap.
    public func adding(_ other: Self) throws(AmountOutOfRange) -> Self {
        let (sum, overflow) = micros.addingReportingOverflow(other.micros)
        guard !overflow else { throw AmountOutOfRange("\(self) + \(other)") }
        return Self(micros: sum)
    }

    /// `self − other`, or a typed error where `-` would trap.
    public func subtracting(_ other: Self) throws(AmountOutOfRange) -> Self {
        let (difference, overflow) = micros.subtractingReportingOverflow(other.micros)
        guard !overflow else { throw AmountOutOfRange("\(self) - \(other)") }
        return Self(micros: difference)
    }
}

/// `a × b / d` rounded half away from zero, without intermediate overflow.
@inlinable
public func mulDivRounded(_ a: Int64, _ b: Int64, _ d: Int64) -> Int64 {
    let product = a.multipliedFullWidth(by: b)
    let (q, r) = d.dividingFullWidth(product)
    let negative = (a < 0) != (b < 0)
    if r != 0, abs(r) * 2 >= abs(d) { return negative ? q - 1 : q + 1 }
    return q
}

func parseMicros(_ text: some StringProtocol) -> Int64? {
    var utf8 = Substring(text).utf8[...]
    guard !utf8.isEmpty else { return nil }
    var negative = false
    if utf8.first == UInt8(ascii: "-") { negative = true; utf8 = utf8.dropFirst() }
    else if utf8.first == UInt8(ascii: "+") { utf8 = utf8.dropFirst() }
    var whole: Int64 = 0
    var fraction: Int64 = 0
    var fractionDigits = 0
    var seenDot = false
    var digits = 0
    for byte in utf8 {
        if byte == UInt8(ascii: ".") {
            guard !seenDot else { return nil }
            seenDot = true
            continue
        }
        guard byte >= 48, byte <= 57 else { return nil }
        let digit = Int64(byte - 48)
        digits += 1
        if seenDot {
            fractionDigits += 1
            guard fractionDigits <= 6 else {
                // Extra digits are accepted only when they are zeros ("0.5000000").
                if digit != 0 { return nil }
                continue
            }
            fraction = fraction * 10 + digit
        } else {
            let (m, o1) = whole.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(digit)
            guard !o1, !o2, s <= Int64.max / microsPerUnit else { return nil }
            whole = s
        }
    }
    guard digits > 0 else { return nil }
    for _ in min(fractionDigits, 6)..<6 { fraction *= 10 }
    let (scaled, overflow) = (whole * microsPerUnit).addingReportingOverflow(fraction)
    guard !overflow else { return nil }
    return negative ? -scaled : scaled
}

func formatMicros(_ micros: Int64) -> String {
    let negative = micros < 0
    let magnitude = micros.magnitude
    let whole = magnitude / UInt64(microsPerUnit)
    var fraction = magnitude % UInt64(microsPerUnit)
    var text = negative ? "-\(whole)" : "\(whole)"
    guard fraction > 0 else { return text }
    var width = 6
    while fraction % 10 == 0 { fraction /= 10; width -= 1 }
    let digits = String(fraction)
    text += "." + String(repeating: "0", count: width - digits.count) + digits
    return text
}
