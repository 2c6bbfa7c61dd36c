import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import RemoraRuntime
import RemoraStore
import Testing

@Suite("Dashboard access: loopback by default, a bearer token off it")
struct DashboardAccessTests {
    /// The dashboard's access check in front of a page that needs no database.
    static func app(token: String?) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: BearerTokenMiddleware(token: token))
        router.get("/") { _, _ in "page\n" }
        router.get("/orders/:id") { _, _ in "order\n" }
        router.get("/health") { _, _ in "ok\n" }
        return Application(router: router)
    }

    @Test("with a token: none or a wrong one is 401 (Bearer challenge), the right one in the header or the query passes; /health is open")
    func token() async throws {
        try await Self.app(token: nil).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
        }
        try await Self.app(token: "t0ken").test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(uri: "/", method: .get, headers: [.authorization: "Bearer wrong"]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/orders/x?token=t0ke", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/", method: .get, headers: [.authorization: "Bearer t0ken"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/orders/x?token=t0ken", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("settings: off loopback without a token is refused at start-up; loopback needs none")
    func settings() throws {
        #expect(throws: (any Error).self) {
            try DashboardSettings(Settings(DashboardSettings.settings, environment: ["REMORA_DASHBOARD_ADDRESS": "0.0.0.0"]))
        }
        let open = try DashboardSettings(Settings(DashboardSettings.settings, environment: [:]))
        #expect(open.address == "127.0.0.1" && open.token == nil && open.port == 7400)
        let guarded = try DashboardSettings(Settings(
            DashboardSettings.settings, environment: ["REMORA_DASHBOARD_ADDRESS": "0.0.0.0", "REMORA_DASHBOARD_TOKEN": "x"]))
        #expect(guarded.url == "http://127.0.0.1:7400/")
    }
}
