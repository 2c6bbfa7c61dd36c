import Foundation
import RemoraRuntime
import RemoraTestSupport
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
        // Without a profile: PostgreSQL, the bus and the seven stages; the profiles add a second
        // scorer (`scaled`) and Prometheus with Grafana (`monitoring`).
        let unprofiled = services.filter { ($0.value as? [String: Any])?["profiles"] == nil }.map(\.key)
        #expect(Set(unprofiled) == Set(Self.stages + ["postgres", "bus"]))
        #expect(Set(services.keys) == Set(Self.stages + ["postgres", "bus", "scorer-b", "prometheus", "grafana"]))
        for (name, value) in services {
            let service = try #require(value as? [String: Any], "\(name)")
            #expect(service["build"] != nil || service["image"] != nil, "\(name) has neither build nor image")
            let health = service["healthcheck"] as? [String: Any]
            #expect(health?["test"] != nil, "\(name) has no health check")
            #expect(service["restart"] as? String == "unless-stopped", "\(name) restart policy")
        }
        for name in Self.stages + ["scorer-b"] {
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

    @Test("compose.yaml validates against the Compose schema (docker-compose 1.29.2's compose_spec.json; the top-level name is newer than it)")
    func composeSchema() async throws {
        let tools = root.appendingPathComponent(".build/pytools").path
        let schema = tools + "/compose/config/compose_spec.json"
        guard FileManager.default.fileExists(atPath: schema) else {
            print("skipped: the Compose schema is not installed (deploy/install-deps.sh puts it in .build/pytools)")
            return
        }
        let script = """
            import json, sys, yaml, jsonschema
            schema = json.load(open(sys.argv[1]))
            document = yaml.safe_load(open(sys.argv[2]))
            document.pop("name", None)
            errors = list(jsonschema.Draft7Validator(schema).iter_errors(document))
            for error in errors: print(list(error.path), error.message)
            sys.exit(1 if errors else 0)
            """
        let run = try ChildProcess(
            ["/usr/bin/env", "python3", "-c", script, schema, root.appendingPathComponent("compose.yaml").path], environment: ["PYTHONPATH": tools])
        #expect(await run.wait() == 0, "\(run.output)")
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
        #expect(used.count == Self.stages.count + 3)
    }

    @Test("Dockerfile builds every executable and ships the migrations bundle")
    func dockerfile() throws {
        let text = try String(contentsOf: root.appendingPathComponent("deploy/Dockerfile"), encoding: .utf8)
        for executable in Self.stages + ["remora"] { #expect(text.contains(executable), "\(executable) missing") }
        #expect(text.contains(".resources"))
        #expect(text.contains("libzmq"))
    }

    // MARK: settings each executable declares

    /// The settings `NAME --help` lists (the built executable's own list, as an operator sees it).
    static func declaredSettings(of executable: String) async throws -> Set<String> {
        let run = try ChildProcess([builtProductsDirectory.appendingPathComponent(executable).path, "--help"], environment: [:])
        _ = await run.wait()
        let names = run.output.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), let name = line.split(separator: " ").first,
                name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" })
            else { return nil }
            return String(name)
        }
        return Set(names)
    }

    @Test("compose.yaml: every environment key of a stage is a setting that stage declares (its --help)")
    func composeSettingsDeclared() async throws {
        let services = try #require(try compose()["services"] as? [String: Any])
        for (name, value) in services {
            let service = try #require(value as? [String: Any])
            guard let command = (service["command"] as? [String])?.first, Self.stages.contains(command) else { continue }
            let declared = try await Self.declaredSettings(of: command)
            #expect(declared.contains("DATABASE_URL") && declared.count > 5, "\(name): \(declared)")
            let environment = service["environment"] as? [String: Any] ?? [:]
            for key in environment.keys { #expect(declared.contains(key), "compose.yaml: \(name) sets \(key), which \(command) does not declare") }
        }
        // Live by default (the Data API and Gamma, live event time); deploy/replay.env switches to
        // the files and strict event time with settings the stages declare.
        let fetcher = (services["fetcher"] as? [String: Any])?["environment"] as? [String: Any]
        #expect(fetcher?["REMORA_SOURCE_TRADES"] as? String == "${REMORA_SOURCE_TRADES:-}")
        #expect(fetcher?["REMORA_WATCH_FILE"] as? String == "/watch/wallets.txt")
        for name in ["scorer", "signal-gate", "risk-guard", "attributor"] {
            let environment = (services[name] as? [String: Any])?["environment"] as? [String: Any]
            #expect(environment?["REMORA_EVENT_TIME"] as? String == "${REMORA_EVENT_TIME:-live}", "\(name)")
        }
        let replay = try String(contentsOf: root.appendingPathComponent("deploy/replay.env"), encoding: .utf8)
        let keys = replay.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: "=").first.map(String.init) }
        #expect(Set(keys) == ["REMORA_SOURCE_TRADES", "REMORA_SOURCE_MARKETS", "REMORA_EVENT_TIME"])
    }

    // MARK: Kubernetes

    var k8s: URL { root.appendingPathComponent("deploy/k8s") }

    /// Every document of every YAML file under deploy/k8s (kustomizations aside), with its file.
    func manifests() throws -> [(file: String, document: [String: Any])] {
        var found: [(String, [String: Any])] = []
        let files = try #require(FileManager.default.enumerator(at: k8s, includingPropertiesForKeys: nil))
        for case let file as URL in files where file.pathExtension == "yaml" && file.lastPathComponent != "kustomization.yaml" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for document in try Yams.load_all(yaml: text) {
                if let document = document as? [String: Any] { found.append((file.path.replacingOccurrences(of: k8s.path + "/", with: ""), document)) }
            }
        }
        return found.sorted { $0.0 < $1.0 }
    }

    @Test("deploy/k8s: each stage a Deployment running its executable with only settings it declares, probed on /ready and /health at its REMORA_HTTP_PORT, scraped there, with resource requests")
    func kubernetesStages() async throws {
        let deployments = try manifests().filter { $0.document["kind"] as? String == "Deployment" }
        var stagesSeen = Set<String>()
        var declared: [String: Set<String>] = [:]
        for (file, deployment) in deployments {
            let template = try #require((deployment["spec"] as? [String: Any])?["template"] as? [String: Any], "\(file)")
            let pod = try #require(template["spec"] as? [String: Any], "\(file)")
            let container = try #require((pod["containers"] as? [[String: Any]])?.first, "\(file)")
            let command = try #require(container["command"] as? [String], "\(file)")
            #expect(Self.stages.contains(command[0]) || command[0] == "remora", "\(file): \(command[0]) is not a built executable")
            let resources = (container["resources"] as? [String: Any])?["requests"] as? [String: Any]
            #expect(resources?["memory"] != nil && resources?["cpu"] != nil, "\(file): no resource requests")
            guard Self.stages.contains(command[0]) else { continue }
            let stage = command[0]
            stagesSeen.insert(stage)
            if declared[stage] == nil { declared[stage] = try await Self.declaredSettings(of: stage) }
            let environment = container["env"] as? [[String: Any]] ?? []
            var values: [String: String] = [:]
            for entry in environment {
                let key = try #require(entry["name"] as? String)
                #expect(declared[stage]!.contains(key), "\(file): \(stage) does not declare \(key)")
                if let value = entry["value"] { values[key] = "\(value)" }
            }
            // The database URL only from a Secret, never a literal.
            let database = environment.first { $0["name"] as? String == "DATABASE_URL" }
            #expect(database?["value"] == nil && ((database?["valueFrom"] as? [String: Any])?["secretKeyRef"] != nil), "\(file): DATABASE_URL not from a Secret")
            let port = try #require(values["REMORA_HTTP_PORT"].flatMap(Int.init), "\(file): no REMORA_HTTP_PORT")
            let ports = (container["ports"] as? [[String: Any]])?.compactMap { $0["containerPort"] as? Int } ?? []
            #expect(ports == [port], "\(file): container ports \(ports) ≠ \(port)")
            for (probe, path) in [("readinessProbe", "/ready"), ("livenessProbe", "/health")] {
                let get = (container[probe] as? [String: Any])?["httpGet"] as? [String: Any]
                #expect(get?["path"] as? String == path && get?["port"] as? Int == port, "\(file): \(probe)")
            }
            let annotations = (template["metadata"] as? [String: Any])?["annotations"] as? [String: Any] ?? [:]
            #expect(annotations["prometheus.io/port"] as? String == "\(port)" && annotations["prometheus.io/path"] as? String == "/metrics", "\(file)")
            if stage == "risk-guard" {
                // The book's single owner: one replica, and never two during a rollout.
                let spec = try #require(deployment["spec"] as? [String: Any])
                #expect(spec["replicas"] as? Int == 1 && (spec["strategy"] as? [String: Any])?["type"] as? String == "Recreate")
            }
        }
        #expect(stagesSeen == Set(Self.stages))
        // The base lists every file it holds.
        let kustomization = try #require(
            try Yams.load(yaml: String(contentsOf: k8s.appendingPathComponent("base/kustomization.yaml"), encoding: .utf8)) as? [String: Any])
        let listed = Set(kustomization["resources"] as? [String] ?? [])
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: k8s.appendingPathComponent("base").path)
            .filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" })
        #expect(listed == files)
    }

    @Test("monitoring: Prometheus scrapes every stage at its port; the Grafana board's queries name metrics the stages export")
    func monitoring() throws {
        let services = try #require(try compose()["services"] as? [String: Any])
        let prometheus = try String(contentsOf: root.appendingPathComponent("deploy/monitoring/prometheus.yml"), encoding: .utf8)
        for (name, value) in services {
            let environment = (value as? [String: Any])?["environment"] as? [String: Any]
            guard let port = environment?["REMORA_HTTP_PORT"] else { continue }
            #expect(prometheus.contains("- \(name):\(port)"), "prometheus.yml does not scrape \(name):\(port)")
        }
        let board = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("deploy/monitoring/grafana/dashboards/remora.json")))
                as? [String: Any])
        let exported = ["remora_messages_in_total", "remora_messages_out_total", "remora_batch_processing_seconds_bucket",
                        "remora_event_lag_seconds_bucket", "remora_seconds_since_commit", "remora_database_up",
                        "remora_dead_letters_total", "remora_errors_total", "remora_late_trades_total"]
        var named = Set<String>()
        for panel in board["panels"] as? [[String: Any]] ?? [] {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                let expression = try #require(target["expr"] as? String)
                let metrics = expression.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).filter { $0.hasPrefix("remora_") }
                #expect(!metrics.isEmpty, "\(expression)")
                for metric in metrics {
                    #expect(exported.contains(String(metric)), "\(metric) is not a metric the stages export")
                    named.insert(String(metric))
                }
            }
        }
        #expect(named == Set(exported), "metrics without a panel: \(Set(exported).subtracting(named))")
    }

    @Test("deploy/k8s: the overlay splits the scorer's partitions between two replicas, each partition owned once")
    func kubernetesPartitions() throws {
        let overlay = try String(contentsOf: k8s.appendingPathComponent("overlays/example/kustomization.yaml"), encoding: .utf8)
        let second = try String(contentsOf: k8s.appendingPathComponent("overlays/example/scorer-b.yaml"), encoding: .utf8)
        func partitions(_ text: String) throws -> Set<Int> {
            let range = try #require(text.range(of: #"REMORA_PARTITIONS, value: "(\d+)-(\d+)""#, options: .regularExpression)
                ?? text.range(of: #"value: "(\d+)-(\d+)""#, options: .regularExpression))
            let numbers = text[range].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            return Set(numbers[0]...numbers[1])
        }
        let a = try partitions(overlay)
        let b = try partitions(second)
        #expect(a.isDisjoint(with: b) && a.union(b) == Set(0..<16), "\(a.sorted()) + \(b.sorted())")
    }

    @Test("deploy/k8s: the base and the rendered example overlay validate against the Kubernetes API schemas (kubernetes-validate --strict)")
    func kubernetesSchemas() async throws {
        // kubernetes-validate (PyPI) is installed by deploy/install-deps.sh into .build/pytools.
        let tools = root.appendingPathComponent(".build/pytools").path
        let probe = try ChildProcess(["/usr/bin/env", "python3", "-c", "import kubernetes_validate"], environment: ["PYTHONPATH": tools])
        guard await probe.wait() == 0 else {
            print("skipped: kubernetes-validate is not installed (deploy/install-deps.sh puts it in .build/pytools)")
            return
        }
        let base = try FileManager.default.contentsOfDirectory(atPath: k8s.appendingPathComponent("base").path)
            .filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }.sorted().map { k8s.appendingPathComponent("base/\($0)").path }
        var files = base + [k8s.appendingPathComponent("overlays/example/scorer-b.yaml").path]
        // The overlay as kubectl renders it, when kubectl is on this machine.
        let rendered = FileManager.default.temporaryDirectory.appendingPathComponent("remora-k8s-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: rendered) }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") {
            let kustomize = try ChildProcess(["/usr/bin/kubectl", "kustomize", k8s.appendingPathComponent("overlays/example").path], environment: [:])
            #expect(await kustomize.wait() == 0, "\(kustomize.output)")
            try kustomize.output.write(to: rendered, atomically: true, encoding: .utf8)
            files.append(rendered.path)
        } else {
            print("kubectl not found: the example overlay is validated file by file, not rendered")
        }
        let validate = try ChildProcess(
            ["/usr/bin/env", "python3", "-m", "kubernetes_validate", "--strict", "--quiet"] + files, environment: ["PYTHONPATH": tools])
        #expect(await validate.wait() == 0, "\(validate.output)")
    }
}
