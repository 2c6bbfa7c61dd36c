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

    @Test("a run's stages take the fixed HTTP ports when all are free, and free ones when another run holds one")
    func stagePorts() throws {
        // A base whose seven ports are free now (below the range freeLoopbackPort hands out).
        let base = try #require((0..<40).lazy.map { 9_000 + $0 * 10 }.first { base in
            (try? ServiceCatalog.httpPorts(portBase: base)) == (1...7).map { base + $0 }
        })
        // Another run's stage listening on the fourth.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(base + 4).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 1) == 0)
        let ports = try ServiceCatalog.httpPorts(portBase: base)
        #expect(ports.count == 7 && Set(ports).count == 7 && !ports.contains(base + 4), "\(ports)")
        #expect(ports.allSatisfy { $0 >= 10_000 }, "free ports come from freeLoopbackPort: \(ports)")
        let children = ServiceCatalog.children(
            databaseURL: "postgres://x@127.0.0.1:1/x", publish: "tcp://127.0.0.1:1", subscribe: "tcp://127.0.0.1:2", source: [:],
            logLevel: "info", httpPorts: ports)
        #expect(children.map { $0.environment["REMORA_HTTP_PORT"] } == ports.map { "\($0)" })
    }

    @Test("a child inherits only standard input, output and error, whatever this process has open")
    func childInheritsNoDescriptor() async throws {
        let leaked = open("/dev/null", O_RDONLY)  // no close-on-exec, as a library might leave one
        #expect(leaked > 3)
        defer { close(leaked) }
        let child = try ChildProcess(["ls", "/proc/self/fd"])
        #expect(await child.wait() == 0)
        // ls's own listing: 0, 1, 2 and the directory it reads (3).
        let descriptors = Set(child.output.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) })
        #expect(descriptors.isSubset(of: [0, 1, 2, 3]), "\(descriptors)")
        #expect(!descriptors.contains(leaked))
    }

    @Test("stages are started without symbolicating a crash's backtrace: the restart is not delayed by it")
    func crashesAreNotSymbolicated() {
        let children = ServiceCatalog.children(
            databaseURL: "postgres://x@127.0.0.1:1/x", publish: "tcp://127.0.0.1:1", subscribe: "tcp://127.0.0.1:2",
            source: [:], logLevel: "info")
        #expect(children.count == 7)
        let expected = ProcessInfo.processInfo.environment["SWIFT_BACKTRACE"] ?? "symbolicate=off"
        #expect(children.allSatisfy { $0.environment["SWIFT_BACKTRACE"] == expected })
    }

    @Test("a child that dies says how, with its last critical line, and is started again")
    func crashNamesItsCause() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-supervisor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("crash.sh")
        try writeExecutable(script, """
            #!/bin/sh
            echo 'level=info msg=starting'
            echo 'level=critical msg=fatal error="bind(descriptor:ptr:bytes:): Address already in use (errno: 98)"'
            exit 1
            """)
        let supervisor = Supervisor(
            children: [.init(name: "crasher", executable: script, environment: [:])],
            logDirectory: folder.appendingPathComponent("logs"), echo: false)
        try supervisor.startAll()
        let deadline = Date().addingTimeInterval(20)
        while (supervisor.restartCounts["crasher"] ?? 0) < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        supervisor.stopAll()
        let log = try String(contentsOf: folder.appendingPathComponent("logs/crasher.log"), encoding: .utf8)
        #expect((supervisor.restartCounts["crasher"] ?? 0) >= 2)
        #expect(log.contains(
            #"supervisor | crasher exited with code 1 after: level=critical msg=fatal error="bind(descriptor:ptr:bytes:): Address already in use (errno: 98)"; restarting"#),
            "\(log)")
    }
}

/// Writes an executable file through a descriptor closed on exec. A descriptor without that flag
/// is inherited by any process another test spawns meanwhile, and while a child holds the file
/// open for writing, executing it fails with ETXTBSY ("Text file busy").
func writeExecutable(_ url: URL, _ text: String) throws {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
        let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        guard count > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        written += count
    }
}
