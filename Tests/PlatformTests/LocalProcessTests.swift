import Foundation
import RemoraRuntime
import Testing

@Suite("Local processes: ports and the supervisor")
struct LocalProcessTests {
    @Test("loopback ports come from below the ephemeral range, never twice, and are free")
    func ports() throws {
        let low = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
            .split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
        let ports = try (0..<300).map { _ in try freeLoopbackPort() }
        #expect(Set(ports).count == ports.count)
        #expect(ports.allSatisfy { (10_000..<low).contains($0) })
    }

    @Test("a child that dies says how, with its last critical line, and is started again")
    func crashNamesItsCause() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-supervisor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("crash.sh")
        try """
        #!/bin/sh
        echo 'level=info msg=starting'
        echo 'level=critical msg=fatal error="bind(descriptor:ptr:bytes:): Address already in use (errno: 98)"'
        exit 1
        """.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let supervisor = Supervisor(
            children: [.init(name: "crasher", executable: script, environment: [:])],
            logDirectory: folder.appendingPathComponent("logs"), echo: false)
        try supervisor.startAll()
        let deadline = Date().addingTimeInterval(20)
        while (supervisor.restartCounts["crasher"] ?? 0) < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        supervisor.stopAll()
        let log = try String(contentsOf: folder.appendingPathComponent("logs/crasher.log"), encoding: .utf8)
        #expect((supervisor.restartCounts["crasher"] ?? 0) >= 2)
        #expect(log.contains(
            #"supervisor | crasher exited with code 1 after: level=critical msg=fatal error="bind(descriptor:ptr:bytes:): Address already in use (errno: 98)"; restarting"#),
            "\(log)")
    }
}
