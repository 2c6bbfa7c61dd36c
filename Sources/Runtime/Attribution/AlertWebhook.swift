public import AsyncHTTPClient
import Crypto
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import RemoraModel
import RemoraStore

/// Alerts pushed to an operator's endpoint (Slack relay, PagerDuty bridge, …), signed so the
/// receiver can tell them from forgeries: `X-Remora-Signature: sha256=<hex>` is HMAC-SHA256 with
/// the shared secret over `<X-Remora-Timestamp>.<body>` (the timestamp guards against replays);
/// `X-Remora-Alert-Id` lets the receiver drop a redelivery. The secret is never logged.
public struct AlertWebhook: Sendable {
    public static let settings: [Setting] = [
        Setting("REMORA_ALERT_WEBHOOK_URL", default: "", "POST every alert (at or above the level below) here as JSON; empty: no webhook"),
        Setting(
            "REMORA_ALERT_WEBHOOK_SECRET", default: "",
            "HMAC-SHA256 key of the X-Remora-Signature header (required with a URL; never logged)"),
        Setting("REMORA_ALERT_WEBHOOK_LEVEL", default: "warning", "lowest level sent: info, warning or critical"),
        Setting("REMORA_ALERT_WEBHOOK_ATTEMPTS", default: "5", "attempts per alert before it goes to the dead letters", kind: .integer(1...20)),
    ]

    public let url: String
    let secret: SymmetricKey
    public let minimumLevel: AlertLevel
    public let attempts: Int
    /// First retry after this long, doubling (0.5 s, 1 s, 2 s, …).
    public var backoff: Duration = .milliseconds(500)
    public var timeout: Duration = .seconds(5)

    public init(url: String, secret: String, minimumLevel: AlertLevel = .warning, attempts: Int = 5) {
        self.url = url
        self.secret = SymmetricKey(data: Data(secret.utf8))
        self.minimumLevel = minimumLevel
        self.attempts = attempts
    }

    /// The webhook the settings describe, or nil when no URL is set.
    public static func configured(_ settings: Settings) throws -> AlertWebhook? {
        let url = try settings.string("REMORA_ALERT_WEBHOOK_URL")
        guard !url.isEmpty else { return nil }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ConfigurationError.malformed("REMORA_ALERT_WEBHOOK_URL", "an http:// or https:// URL")
        }
        let secret = try settings.string("REMORA_ALERT_WEBHOOK_SECRET")
        guard !secret.isEmpty else {
            throw ConfigurationError.malformed("REMORA_ALERT_WEBHOOK_SECRET", "set a secret: the receiver checks every alert's signature")
        }
        guard let level = AlertLevel(rawValue: try settings.string("REMORA_ALERT_WEBHOOK_LEVEL")) else {
            throw ConfigurationError.malformed("REMORA_ALERT_WEBHOOK_LEVEL", "info, warning or critical")
        }
        return AlertWebhook(url: url, secret: secret, minimumLevel: level, attempts: try settings.int("REMORA_ALERT_WEBHOOK_ATTEMPTS", in: 1...20))
    }

    public func sends(_ alert: Alert) -> Bool { Self.rank(alert.level) >= Self.rank(minimumLevel) }

    static func rank(_ level: AlertLevel) -> Int {
        switch level {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }

    /// Hex HMAC-SHA256 of `<timestamp>.<body>`.
    public func signature(timestamp: Int64, body: Data) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        return HMAC<SHA256>.authenticationCode(for: message, using: secret).map { String(format: "%02x", $0) }.joined()
    }

    /// The JSON body of an alert: its id and the alert itself (canonical: sorted keys).
    public static func body(id: String, alert: Alert) throws -> Data {
        struct Envelope: Encodable {
            let id: String
            let alert: Alert
        }
        return try JSONCoding.encoder.encode(Envelope(id: id, alert: alert))
    }

    public enum Outcome: Sendable, Equatable {
        case delivered(attempts: Int)
        case failed(attempts: Int, lastError: String)
    }

    /// POSTs the alert, retrying a failure (no answer, a 5xx, a 429) with doubling back-off; a
    /// 4xx other than 408/429 is final (retrying an unauthorised request does not help).
    public func deliver(id: String, alert: Alert, client: HTTPClient = .shared, logger: Logger, now: @Sendable () -> Int64 = {
        Int64(Date().timeIntervalSince1970)
    }) async -> Outcome {
        let body: Data
        do { body = try Self.body(id: id, alert: alert) } catch { return .failed(attempts: 0, lastError: "\(error)") }
        var lastError = ""
        var wait = backoff
        for attempt in 1...attempts {
            let timestamp = now()
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "remora-alerts/1")
            request.headers.add(name: "X-Remora-Alert-Id", value: id)
            request.headers.add(name: "X-Remora-Timestamp", value: "\(timestamp)")
            request.headers.add(name: "X-Remora-Signature", value: "sha256=" + signature(timestamp: timestamp, body: body))
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout.components.seconds * 1000
                    + timeout.components.attoseconds / 1_000_000_000_000_000)))
                let code = Int(response.status.code)
                if (200..<300).contains(code) { return .delivered(attempts: attempt) }
                lastError = "HTTP \(code)"
                if (400..<500).contains(code), code != 408, code != 429 { return .failed(attempts: attempt, lastError: lastError) }
            } catch {
                lastError = "\(error)"
            }
            logger.warning(
                "alert webhook attempt failed",
                metadata: ["alert": "\(id)", "attempt": "\(attempt)", "of": "\(attempts)", "error": "\(lastError)"])
            if attempt < attempts {
                try? await Task.sleep(for: wait)
                wait = wait * 2
            }
        }
        return .failed(attempts: attempts, lastError: lastError)
    }
}

extension AlertWebhook: CustomStringConvertible {
    /// What may be logged of it: never the secret.
    public var description: String { "AlertWebhook(url: \(url), level: \(minimumLevel.rawValue), attempts: \(attempts), secret: ***)" }
}
