import Foundation
import Testing
import Yams

@Suite("Deployment files")
struct DeploymentTests {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL
    static let stages = ["fetcher", "resolver", "scorer", "signal-gate", "sizer", "risk-guard", "attributor"]

    func compose() throws -> [String: Any] {
        let text = try String(contentsOf: root.appendingPathComponent("compose.yaml"), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    @Test("compose.yaml: PostgreSQL, the bus and the seven stages, each runnable, health-checked and configured")
    func services() throws {
        let services = try #require(try compose()["services"] as? [String: Any])
        #expect(Set(services.keys) == Set(Self.stages + ["postgres", "bus"]))
        for (name, value) in services {
            let service = try #require(value as? [String: Any], "\(name)")
            #expect(service["build"] != nil || service["image"] != nil, "\(name) has neither build nor image")
            let health = service["healthcheck"] as? [String: Any]
            #expect(health?["test"] != nil, "\(name) has no health check")
            #expect(service["restart"] as? String == "unless-stopped", "\(name) restart policy")
        }
        for name in Self.stages {
            let service = try #require(services[name] as? [String: Any])
            let environment = try #require(service["environment"] as? [String: Any], "\(name) has no environment")
            for key in ["DATABASE_URL", "REMORA_BUS_PUB", "REMORA_BUS_SUB", "REMORA_HTTP_PORT"] {
                #expect(environment[key] != nil, "\(name) lacks \(key)")
            }
            // No secret in the file: the password comes from the operator's environment.
            #expect((environment["DATABASE_URL"] as? String)?.contains("${REMORA_DB_PASSWORD}") == true)
            let dependsOn = try #require(service["depends_on"] as? [String: Any])
            #expect((dependsOn["postgres"] as? [String: Any])?["condition"] as? String == "service_healthy")
            // The health check probes the port the service is configured to serve.
            let port = "\(environment["REMORA_HTTP_PORT"]!)"
            let test = (service["healthcheck"] as? [String: Any])?["test"] as? [String] ?? []
            #expect(test.joined(separator: " ").contains(":\(port)/health"), "\(name) health check port")
        }
    }

    @Test("compose.yaml: no two services publish the same host port")
    func ports() throws {
        let services = try #require(try compose()["services"] as? [String: Any])
        var used: [String: String] = [:]
        for (name, value) in services {
            for entry in (value as? [String: Any])?["ports"] as? [Any] ?? [] {
                let host = "\(entry)".split(separator: ":").dropLast().joined(separator: ":")
                #expect(used[host] == nil, "host port \(host) used by \(used[host] ?? "") and \(name)")
                used[host] = name
            }
        }
        #expect(used.count == Self.stages.count)
    }

    @Test("Dockerfile builds every executable and ships the migrations bundle")
    func dockerfile() throws {
        let text = try String(contentsOf: root.appendingPathComponent("deploy/Dockerfile"), encoding: .utf8)
        for executable in Self.stages + ["remora"] { #expect(text.contains(executable), "\(executable) missing") }
        #expect(text.contains(".resources"))
        #expect(text.contains("libzmq"))
    }
}
