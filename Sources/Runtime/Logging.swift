import Foundation
public import Logging

/// One line per event in logfmt: `ts=… level=info service=scorer msg="…" stream=trade seq=42`.
/// Readable with `docker compose logs -f scorer` and by log shippers alike.
public struct LogfmtHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = "ts=\(Self.timestamp()) level=\(event.level) service=\(label) msg=\(Self.quote("\(event.message)"))"
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quote("\(merged[key]!)"))"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func quote(_ text: String) -> String {
        if !text.isEmpty, !text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" }) { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon))
    }
}

extension LoggingSystem {
    /// Installs the logfmt handler for the whole process (once).
    public static func bootstrapLogfmt(service: String, level: Logger.Level) {
        LoggingSystem.bootstrap { _ in LogfmtHandler(label: service, level: level) }
    }
}
