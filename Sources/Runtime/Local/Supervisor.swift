public import Foundation
import Synchronization

/// Runs the services as child processes, like compose's restart policy: output goes to
/// `.remora/logs/<service>.log` and, prefixed with the service name, to the terminal; a child
/// that dies is started again (and that is logged). `stopAll()` sends SIGTERM and waits.
///
/// Children are started with `posix_spawn` and watched by a thread blocked in `waitpid`, not with
/// `Process`: its exit monitoring has missed exits inside some hosts (seen in the test runner),
/// and a missed exit here would be a service that never comes back.
public final class Supervisor: Sendable {
    public struct Child: Sendable {
        public let name: String
        public let executable: URL
        public var environment: [String: String]
        public init(name: String, executable: URL, environment: [String: String]) {
            self.name = name
            self.executable = executable
            self.environment = environment
        }
    }

    private let children: [Child]
    private let logDirectory: URL
    private let echo: Bool
    private let state = Mutex<State>(State())

    struct State {
        var pids: [String: pid_t] = [:]
        var stopping = false
        var restarts: [String: Int] = [:]
        /// Each child's last critical log line: said with its exit, so that a crash names its cause
        /// where the operator (or a CI log) sees it, not only in the service's own log.
        var lastCritical: [String: String] = [:]
    }

    public init(children: [Child], logDirectory: URL, echo: Bool) {
        self.children = children
        self.logDirectory = logDirectory
        self.echo = echo
    }

    public func startAll() throws {
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        for child in children { try start(child) }
    }

    public var restartCounts: [String: Int] { state.withLock { $0.restarts } }

    public func pid(of name: String) -> Int32? { state.withLock { $0.pids[name] } }

    /// Sends a signal to one service (the demo's chaos option and the end-to-end test use SIGKILL).
    public func signal(_ name: String, _ signal: Int32) {
        if let pid = pid(of: name) { kill(pid, signal) }
    }

    private func start(_ child: Child) throws {
        let logPath = logDirectory.appendingPathComponent("\(child.name).log").path
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        // Close-on-exec: no sibling child inherits this pipe (dup2 onto 1 and 2 clears the flag there).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        // Nor any other descriptor this process left open without close-on-exec (a file being
        // written, a socket): a child holding one would keep it open for its whole life.
        closeDescriptorsFromThree(&actions)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(child.executable.path), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = child.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        // Checked under the lock: a restart racing `stopAll()` must not leave an orphan behind.
        let pid = try state.withLock { state -> pid_t? in
            guard !state.stopping else { return nil }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, child.executable.path, &actions, nil, argv, envp)
            guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .ENOENT) }
            state.pids[child.name] = pid
            return pid
        }
        close(writeEnd)
        guard let pid else {
            close(readEnd)
            return
        }
        startOutputPump(name: child.name, from: readEnd, logPath: logPath)
        let watcher = Thread { [weak self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1, errno == EINTR {}
            guard let self else { return }
            let restart = self.state.withLock { state -> Bool in
                if state.pids[child.name] == pid { state.pids[child.name] = nil }
                guard !state.stopping else { return false }
                state.restarts[child.name, default: 0] += 1
                return true
            }
            guard restart else { return }
            let cause = self.state.withLock { $0.lastCritical.removeValue(forKey: child.name) }
            let line = "supervisor | \(child.name) \(Self.describe(status: status))\(cause.map { " after: \($0)" } ?? ""); restarting\n"
            FileHandle.standardError.write(Data(line.utf8))
            appendToFile(logPath, Data(line.utf8))
            Thread.sleep(forTimeInterval: 0.3)
            try? self.start(child)
        }
        watcher.name = "supervise-\(child.name)"
        watcher.start()
    }

    /// Copies a child's output to its log file and, prefixed, to the terminal.
    private func startOutputPump(name: String, from fd: Int32, logPath: String) {
        let prefix = Data("\(name.padding(toLength: 11, withPad: " ", startingAt: 0))| ".utf8)
        let echo = self.echo
        let pump = Thread { [weak self] in
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return }
                let data = Data(buffer[0..<count])
                appendToFile(logPath, data)
                // Lines may be split across reads; a critical line is short enough to come whole.
                if let critical = data.split(separator: UInt8(ascii: "\n")).last(where: {
                    $0.firstRange(of: Data("level=critical".utf8)) != nil
                }) {
                    self?.state.withLock { $0.lastCritical[name] = String(decoding: critical.prefix(600), as: UTF8.self) }
                }
                if echo {
                    var out = Data()
                    for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
                        out.append(prefix)
                        out.append(line)
                        out.append(UInt8(ascii: "\n"))
                    }
                    FileHandle.standardOutput.write(out)
                }
            }
        }
        pump.name = "output-\(name)"
        pump.start()
    }

    /// `waitpid`'s status in words: the exit code, or the signal that ended the process.
    static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with code \((status >> 8) & 0xff)" }
        return "was killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL)" : signal == SIGSEGV ? " (SIGSEGV)" : signal == SIGILL ? " (SIGILL, a Swift trap)" : signal == SIGTRAP ? " (SIGTRAP, a Swift trap)" : "")"
    }

    /// SIGTERM to every child, then wait (SIGKILL after `timeout`).
    public func stopAll(timeout: TimeInterval = 15) {
        let pids = state.withLock { state -> [pid_t] in
            state.stopping = true
            return Array(state.pids.values)
        }
        for pid in pids { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, !state.withLock({ $0.pids.isEmpty }) { Thread.sleep(forTimeInterval: 0.05) }
        for pid in state.withLock({ Array($0.pids.values) }) { kill(pid, SIGKILL) }
        while !state.withLock({ $0.pids.isEmpty }), Date() < deadline.addingTimeInterval(5) { Thread.sleep(forTimeInterval: 0.05) }
    }
}

/// Appends to a file, creating it (O_APPEND keeps concurrent writers' lines whole).
private func appendToFile(_ path: String, _ data: Data) {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    guard fd >= 0 else { return }
    defer { close(fd) }
    data.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
}
