public import Foundation
import Synchronization

/// Runs the services as child processes, like compose's restart policy: output goes to
/// `.remora/logs/<service>.log` and, prefixed with the service name, to the terminal; a child
/// that dies is started again (and that is logged). `stopAll()` sends SIGTERM and waits.
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
        var processes: [String: Process] = [:]
        var stopping = false
        var restarts: [String: Int] = [:]
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

    public func pid(of name: String) -> Int32? { state.withLock { $0.processes[name]?.processIdentifier } }

    /// Sends a signal to one service (the demo's chaos option and the end-to-end test use SIGKILL).
    public func signal(_ name: String, _ signal: Int32) {
        if let pid = pid(of: name) { kill(pid, signal) }
    }

    private func start(_ child: Child) throws {
        let process = Process()
        process.executableURL = child.executable
        process.environment = child.environment
        let logURL = logDirectory.appendingPathComponent("\(child.name).log")
        if !FileManager.default.fileExists(atPath: logURL.path) { FileManager.default.createFile(atPath: logURL.path, contents: nil) }
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let prefix = Data("\(child.name.padding(toLength: 11, withPad: " ", startingAt: 0))| ".utf8)
        let echo = self.echo
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            log.write(data)
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
        process.terminationHandler = { [weak self] ended in
            guard let self else { return }
            let restart = self.state.withLock { state -> Bool in
                guard !state.stopping else { return false }
                state.restarts[child.name, default: 0] += 1
                return true
            }
            guard restart else { return }
            let line = "supervisor | \(child.name) exited (status \(ended.terminationStatus)); restarting\n"
            FileHandle.standardError.write(Data(line.utf8))
            log.write(Data(line.utf8))
            Thread.sleep(forTimeInterval: 0.3)
            try? self.start(child)
        }
        // Checked under the lock: a restart racing `stopAll()` must not leave an orphan behind.
        try state.withLock { state in
            guard !state.stopping else { return }
            try process.run()
            state.processes[child.name] = process
        }
    }

    /// SIGTERM to every child, then wait (SIGKILL after `timeout`).
    public func stopAll(timeout: TimeInterval = 15) {
        let processes = state.withLock { state -> [Process] in
            state.stopping = true
            return Array(state.processes.values)
        }
        for process in processes where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(timeout)
        for process in processes {
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}
