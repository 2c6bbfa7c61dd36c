import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import RemoraModel
import RemoraRuntime
import Synchronization
import Testing

@Suite("Alert webhook: signed with HMAC-SHA256, retried, never endless")
struct AlertWebhookTests {
    struct Request: Sendable {
        var id: String?
        var timestamp: String?
        var signature: String?
        var body: Data
    }

    final class Inbox: Sendable {
        let list = Mutex<[Request]>([])
        func withLock<T>(_ body: (inout [Request]) -> T) -> T { list.withLock { body(&$0) } }
    }

    /// A receiver answering `statuses` in turn (then 200), keeping what it received.
    static func receiver(statuses: [Int], _ body: @escaping @Sendable (String, Inbox) async throws -> Void) async throws {
        let received = Inbox()
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let index = received.withLock { list -> Int in
                list.append(Request(
                    id: request.headers[HTTPField.Name("X-Remora-Alert-Id")!],
                    timestamp: request.headers[HTTPField.Name("X-Remora-Timestamp")!],
                    signature: request.headers[HTTPField.Name("X-Remora-Signature")!], body: Data(bytes.readableBytesView)))
                return list.count - 1
            }
            let status = index < statuses.count ? statuses[index] : 200
            return Response(status: HTTPResponse.Status(code: status))
        }
        let app = Application(router: router)
        try await app.test(.live) { client in try await body("http://127.0.0.1:\(try #require(client.port))/hook", received) }
    }

    static let alert = Alert(level: .critical, source: "attributor", code: "kpi_sharpe", message: "Sharpe 0.31 over 45 days: critical",
                             at: EventTime(millis: 1_767_225_599_999))

    /// HMAC-SHA256 by OpenSSL's command line, not by the code under test.
    static func openssl(secret: String, message: Data) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hmac-\(UUID().uuidString)")
        try message.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try await runAndWait(["openssl", "dgst", "-sha256", "-hmac", secret, "-r", file.path])
        #expect(status == 0, "\(output)")
        return String(output.prefix { $0 != " " })
    }

    @Test("a receiver failing twice gets the alert on the third attempt, each signed as OpenSSL signs it")
    func retriedAndSigned() async throws {
        try await Self.receiver(statuses: [500, 503]) { url, received in
            var hook = AlertWebhook(url: url, secret: "s3cret-key", minimumLevel: .warning, attempts: 4)
            hook.backoff = .milliseconds(20)
            // The receiver's handler runs in this process, on the pool other tests share: an
            // attempt must not time out while it waits for a thread, or it is sent twice.
            hook.timeout = .seconds(60)
            let outcome = await hook.deliver(id: "attributor:kpi_sharpe:1767225599999", alert: Self.alert, logger: Logger(label: "test"))
            #expect(outcome == .delivered(attempts: 3))
            let requests = received.withLock { $0 }
            #expect(requests.count == 3)
            for request in requests {
                #expect(request.id == "attributor:kpi_sharpe:1767225599999")
                var message = Data("\(request.timestamp ?? "").".utf8)
                message.append(request.body)
                #expect(request.signature == "sha256=" + (try await Self.openssl(secret: "s3cret-key", message: message)))
                #expect(request.signature != "sha256=" + (try await Self.openssl(secret: "another", message: message)))
            }
            let body = try JSONSerialization.jsonObject(with: requests[0].body) as? [String: Any]
            #expect((body?["alert"] as? [String: Any])?["code"] as? String == "kpi_sharpe")
        }
    }

    @Test("a 401 is final; a receiver that never answers is given up after the attempts; info is below the default level")
    func givesUp() async throws {
        try await Self.receiver(statuses: [401]) { url, received in
            var hook = AlertWebhook(url: url, secret: "k", attempts: 5)
            hook.backoff = .milliseconds(10)
            hook.timeout = .seconds(60)  // as above: a 401 answered late is still one attempt
            #expect(await hook.deliver(id: "a", alert: Self.alert, logger: Logger(label: "test")) == .failed(attempts: 1, lastError: "HTTP 401"))
            #expect(received.withLock { $0.count } == 1)
        }
        var dead = AlertWebhook(url: "http://127.0.0.1:\(try freeLoopbackPort())/hook", secret: "k", attempts: 3)
        dead.backoff = .milliseconds(10)
        // AsyncHTTPClient retries a refused connection until the request's deadline: each attempt is one timeout.
        dead.timeout = .seconds(1)
        let started = ContinuousClock.now
        guard case .failed(let attempts, _) = await dead.deliver(id: "b", alert: Self.alert, logger: Logger(label: "test")) else {
            Issue.record("delivered to nobody")
            return
        }
        #expect(attempts == 3 && ContinuousClock.now - started < .seconds(10))
        var info = Self.alert
        info.level = .info
        #expect(!dead.sends(info) && dead.sends(Self.alert))
    }

    @Test("settings: no URL is no webhook; a URL needs a secret; the secret never appears in what is logged of the settings")
    func settings() throws {
        #expect(try AlertWebhook.configured(Settings(AlertWebhook.settings, environment: [:])) == nil)
        #expect(throws: (any Error).self) {
            try AlertWebhook.configured(Settings(AlertWebhook.settings, environment: ["REMORA_ALERT_WEBHOOK_URL": "https://example.test/hook"]))
        }
        let hook = try AlertWebhook.configured(Settings(
            AlertWebhook.settings,
            environment: ["REMORA_ALERT_WEBHOOK_URL": "https://example.test/hook", "REMORA_ALERT_WEBHOOK_SECRET": "topsecret"]))
        #expect(hook?.url == "https://example.test/hook")
        #expect(!"\(String(describing: hook))".contains("topsecret"))
    }
}
