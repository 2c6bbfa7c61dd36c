import Crypto
import Foundation
import Hummingbird
public import Logging
import NIOCore
import RemoraCore
import RemoraModel
public import RemoraStore

/// Where the dashboard listens and who may read it.
public struct DashboardSettings: Sendable {
    public static let settings: [Setting] = [
        Setting("REMORA_DASHBOARD_PORT", default: "7400", "port of the operator dashboard (0: no dashboard)", kind: .integer(0...65535)),
        Setting(
            "REMORA_DASHBOARD_ADDRESS", default: "127.0.0.1",
            "address the dashboard binds: loopback by default; any other needs REMORA_DASHBOARD_TOKEN"),
        Setting(
            "REMORA_DASHBOARD_TOKEN", default: "",
            "bearer token the dashboard asks for (Authorization: Bearer …, or ?token=…); required off loopback; never logged"),
    ]

    public var port: Int
    public var address: String
    public var token: String?

    public init(port: Int, address: String = "127.0.0.1", token: String? = nil) {
        self.port = port
        self.address = address
        self.token = token
    }

    public init(_ settings: Settings) throws {
        port = try settings.int("REMORA_DASHBOARD_PORT", in: 0...65535)
        address = try settings.string("REMORA_DASHBOARD_ADDRESS")
        let token = try settings.string("REMORA_DASHBOARD_TOKEN")
        self.token = token.isEmpty ? nil : token
        if !Self.isLoopback(address), self.token == nil, port != 0 {
            throw ConfigurationError.malformed(
                "REMORA_DASHBOARD_TOKEN", "the dashboard binds \(address), off loopback: set a token (or bind 127.0.0.1)")
        }
    }

    static func isLoopback(_ address: String) -> Bool { address == "127.0.0.1" || address == "::1" || address == "localhost" }

    /// What a browser on this machine opens.
    public var url: String { "http://\(address == "0.0.0.0" ? "127.0.0.1" : address):\(port)/" }
}

/// The dashboard's HTTP server (Hummingbird): `/` the page (`?page=N` pages the whale table),
/// `/orders/<id>` one order's explanation, `/health`. Read-only; the store is the only source.
public enum DashboardServer {
    public static func application(settings: DashboardSettings, store: Store, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        let token = settings.token
        let days = DashboardData.DayCache()
        router.add(middleware: BearerTokenMiddleware(token: token))
        router.get("/") { request, _ -> Response in
            let page = request.uri.queryParameters.get("page", as: Int.self) ?? 0
            let data = try await DashboardData.load(page: page, store: store, cache: days)
            let query = token.map { "token=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
            return html(DashboardPage.render(data, tokenQuery: query))
        }
        router.get("/orders/:id") { request, context -> Response in
            let raw = try context.parameters.require("id")
            let id = raw.removingPercentEncoding ?? raw
            let chain: ExplainStore.Chain
            do {
                chain = try await ExplainStore.chain(of: id, on: store.client, logger: store.logger)
            } catch let lookup as ExplainStore.Lookup {
                return html(OrderPage.missing(lookup.description), status: .notFound)
            }
            return html(OrderPage.render(id: id, chain: chain))
        }
        router.get("/health") { _, _ in "ok\n" }
        var quiet = logger
        quiet.logLevel = .warning
        return Application(router: router, configuration: .init(address: .hostname(settings.address, port: settings.port)), logger: quiet)
    }

    /// Serves until cancelled. A dashboard that cannot bind is logged, never the end of the stage.
    public static func run(settings: DashboardSettings, store: Store, logger: Logger) async throws {
        guard settings.port != 0 else { return }
        do {
            logger.info("dashboard", metadata: ["url": "\(settings.url)", "token": "\(settings.token == nil ? "none" : "required")"])
            try await application(settings: settings, store: store, logger: logger).runService()
        } catch is CancellationError {
        } catch {
            logger.error("dashboard stopped", metadata: ["url": "\(settings.url)", "error": "\(error)"])
        }
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Asks for the token when one is set: `Authorization: Bearer <token>` or `?token=<token>`,
/// compared in constant time. `/health` stays open for probes.
public struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?
    public init(token: String?) { self.token = token }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, request.uri.path != "/health" else { return try await next(request, context) }
        let header = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        let given = header ?? request.uri.queryParameters.get("token") ?? ""
        guard Self.same(given, token) else {
            return Response(
                status: .unauthorized, headers: [.wwwAuthenticate: "Bearer", .contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: "a bearer token is required\n")))
        }
        return try await next(request, context)
    }

    /// Constant-time comparison of the SHA-256 digests (lengths never leak either).
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(SHA256.hash(data: Data(a.utf8)))
        let y = Array(SHA256.hash(data: Data(b.utf8)))
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// One order's chain as a page: the trade, the gate's verdict, the sizer's order, the risk
/// guard's decision (what `remora explain` prints, for a browser).
enum OrderPage {
    static func render(id: String, chain: ExplainStore.Chain) -> String {
        let text = ExplainText.lines(chain).joined(separator: "\n")
        return page(
            "<p><a href=\"/\">← dashboard</a></p><h1 class=\"mono\">\(DashboardPage.escape(id))</h1>"
                + "<section><h2>Why it was copied or not, and how much</h2><pre>\(DashboardPage.escape(text))</pre></section>")
    }

    static func missing(_ text: String) -> String { page("<p><a href=\"/\">← dashboard</a></p><p>\(DashboardPage.escape(text))</p>") }

    static func page(_ body: String) -> String {
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Remora — order</title><style>"
            + DashboardPage.css + "pre{white-space:pre-wrap;font-size:12px}</style></head><body><main>" + body + "</main></body></html>\n"
    }
}
