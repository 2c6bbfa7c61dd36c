import Foundation
import Synchronization

/// A TCP port free on 127.0.0.1 for a child process or a socket to bind soon after.
///
/// Not the kernel's choice for port 0: that comes from the ephemeral range, where every outgoing
/// connection (a PostgreSQL pool's, a ZeroMQ peer's) also takes its local port, so a port chosen
/// that way and closed can be taken by a connection before its owner binds it — a service then
/// fails to bind and crash-loops for as long as the connection lives (seen once in CI: the
/// scorer's HTTP port). Ports here come from below the ephemeral range, which the kernel never
/// hands out on its own, each at most once per process, and each checked by a bind.
public func freeLoopbackPort() throws -> Int {
    try LoopbackPorts.shared.next()
}

final class LoopbackPorts: Sendable {
    static let shared = LoopbackPorts()

    /// Ports handed out: a walk from a random start (so that concurrent processes rarely meet)
    /// through the range below the ephemeral one.
    private let cursor: Mutex<Int>
    private let range: Range<Int>

    init() {
        let ephemeralLow = Self.ephemeralLow() ?? 32_768
        range = 10_000..<max(10_001, min(ephemeralLow, 65_536))
        cursor = Mutex(Int.random(in: 0..<range.count))
    }

    func next() throws -> Int {
        for _ in 0..<range.count {
            let port = cursor.withLock { cursor -> Int in
                defer { cursor = (cursor + 1) % range.count }
                return range.lowerBound + cursor
            }
            if Self.bindable(port) { return port }
        }
        throw POSIXError(.EADDRINUSE)
    }

    /// `/proc/sys/net/ipv4/ip_local_port_range`'s first number (Linux).
    static func ephemeralLow() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
        return text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) }
    }

    /// Whether a listening socket could take the port on 127.0.0.1 and on every address now.
    static func bindable(_ port: Int) -> Bool {
        for host in ["127.0.0.1", "0.0.0.0"] {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr(host)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { return false }
        }
        return true
    }
}
