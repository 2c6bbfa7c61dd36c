public import Foundation

/// A child process started with `posix_spawnp` and reaped with `waitpid`, its output captured in a
/// file (or discarded). Not Foundation's `Process`: its exit monitoring can miss a child's exit
/// inside some hosts (seen in the test runner), and a pipe never reaches end-of-file once
/// `pg_ctl start` hands it to the server it starts.
public final class ChildProcess: @unchecked Sendable {
    public enum Output: Sendable {
        /// Standard output and error into a temporary file, read by ``output``.
        case captured
        case discarded
    }

    public let pid: pid_t
    public let outputFile: URL?
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `argv` (a path, or a name looked up in PATH) with this process's environment plus
    /// `environment`, minus the variables in `removing`.
    public init(
        _ argv: [String], environment: [String: String] = [:], removing: [String] = [], output: Output = .captured
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .captured:
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("remora-child-\(UUID().uuidString).log")
            posix_spawn_file_actions_addopen(&actions, 1, file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            outputFile = file
        case .discarded:
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            outputFile = nil
        }
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Only 0, 1 and 2: a descriptor of this process open without close-on-exec stays open in
        // the child for its whole life. A PostgreSQL server restarted by `pg_ctl` in the middle of
        // a test kept the test's HTTP listener and a client's connection to it, so closing that
        // client never reached the server, whose graceful shutdown then waited forever.
        closeDescriptorsFromThree(&actions)
        var merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        for name in removing { merged[name] = nil }
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawnp(&child, argv[0], &actions, nil, arguments, variables)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .ENOENT) }
        pid = child
    }

    deinit {
        if let outputFile { try? FileManager.default.removeItem(at: outputFile) }
    }

    /// Waits for the exit; returns the exit code (128 + signal when killed).
    @discardableResult
    public func wait() -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS by hand (the macros are not imported into Swift).
        let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        status = code
        return code
    }

    /// Waits for the exit on a thread of its own, so that the awaiting task does not hold one of
    /// the cooperative pool's few threads (see ``onOwnThread(_:)``) for the child's whole life.
    @discardableResult
    public func wait() async -> Int32 {
        await onOwnThread { self.wait() }
    }

    public func kill(_ signal: Int32) { _ = Foundation.kill(pid, signal) }

    /// SIGTERM, then waits for the exit.
    @discardableResult
    public func stop() -> Int32 {
        kill(SIGTERM)
        return wait()
    }

    /// What the child wrote to standard output and error so far (empty when discarded).
    public var output: String { outputFile.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? "" }
}

/// Runs a command to completion; returns its exit code and output.
public func runAndWait(_ argv: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
    let child = try ChildProcess(argv, environment: environment)
    let status = child.wait()
    return (status, child.output)
}

/// Runs a command to completion, waiting on a thread of its own; returns its exit code and output.
public func runAndWait(_ argv: [String], environment: [String: String] = [:]) async throws -> (Int32, String) {
    let child = try ChildProcess(argv, environment: environment)
    let status = await child.wait()
    return (status, child.output)
}

/// Adds glibc's "close every descriptor from 3" action (2.34+), looked up at run time: Swift's
/// Glibc module hides the GNU extensions. Without it, a descriptor another thread opened without
/// close-on-exec (a file being written, a pipe before its flag is set) stays open in the child.
func closeDescriptorsFromThree(_ actions: inout posix_spawn_file_actions_t) {
    _ = addCloseFrom?(&actions, 3)
}

private let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    // RTLD_DEFAULT is the null handle on glibc.
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()
