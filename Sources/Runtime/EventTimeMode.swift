/// How a stage that joins several streams treats event time.
/// - `strict`: decide only what upstream watermarks vouch for, in event-time order. Results are
///   a function of the data alone (replays, backtests, the demo), at the cost of waiting.
/// - `live`: decide as soon as inputs arrive, with what is stored. Lowest latency; the order of
///   decisions can depend on timing.
public enum EventTimeMode: String, Sendable {
    case strict, live

    public static let setting = Setting(
        "REMORA_EVENT_TIME", default: "strict", "strict (deterministic, waits for watermarks) or live", kind: .choice(["strict", "live"]))

    public init(_ settings: Settings) throws {
        let text = try settings.string("REMORA_EVENT_TIME")
        guard let mode = EventTimeMode(rawValue: text) else {
            throw ConfigurationError.malformed("REMORA_EVENT_TIME", "expected strict or live, got \"\(text)\"")
        }
        self = mode
    }
}

import RemoraStore
