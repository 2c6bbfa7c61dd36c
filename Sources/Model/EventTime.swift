/// An instant as whole milliseconds since the Unix epoch (UTC). Decisions take it as an argument;
/// nothing in the model or the core reads the wall clock.
public struct EventTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var millis: Int64
    public init(millis: Int64) { self.millis = millis }
    public init(seconds: Int64) { self.millis = seconds * 1000 }

    public static func < (a: Self, b: Self) -> Bool { a.millis < b.millis }
    public static let day: Int64 = 86_400_000

    /// The UTC day number (days since the epoch) that contains this instant.
    public var dayNumber: Int64 { millis >= 0 ? millis / Self.day : (millis - Self.day + 1) / Self.day }
    public func adding(millis delta: Int64) -> EventTime { EventTime(millis: millis + delta) }
    public var description: String { "\(millis)ms" }

    public init(from decoder: any Decoder) throws {
        millis = try decoder.singleValueContainer().decode(Int64.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(millis)
    }
}
