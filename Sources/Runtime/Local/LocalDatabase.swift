public import Foundation

/// The embedded default: a PostgreSQL cluster in `.remora/pg`, listening on loopback only, that
/// `remora db up|down|url` and `remora demo` manage. As root, the server runs as the unprivileged
/// `postgres` user (PostgreSQL refuses to run as root). Trust authentication is enabled for
/// loopback connections only: this is a single-user development database.
public struct LocalDatabase: Sendable {
    public let root: URL
    public let port: Int
    public var dataDirectory: URL { root.appendingPathComponent("pg/data") }
    public var socketDirectory: URL { root.appendingPathComponent("pg/run") }
    public var logFile: URL { root.appendingPathComponent("pg/server.log") }
    public let user = "remora"

    public init(root: URL = URL(fileURLWithPath: ".remora"), port: Int = 54329) {
        self.root = root.standardizedFileURL
        self.port = port
    }

    public func url(database: String = "remora") -> String { "postgres://\(user)@127.0.0.1:\(port)/\(database)" }

    public enum Failure: Error, CustomStringConvertible {
        case binariesMissing
        case command(String, Int32, String)
        public var description: String {
            switch self {
            case .binariesMissing:
                "PostgreSQL server binaries not found (apt-get install -y postgresql, or set DATABASE_URL)"
            case .command(let name, let status, let output): "\(name) failed (exit \(status)): \(output)"
            }
        }
    }

    /// The newest installed server's bin directory (Debian keeps them off PATH).
    public static func binDirectory() throws -> URL {
        let base = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        if let newest = versions.compactMap(Int.init).sorted().last {
            return base.appendingPathComponent("\(newest)/bin")
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(directory)/initdb") { return URL(fileURLWithPath: String(directory)) }
        }
        throw Failure.binariesMissing
    }

    /// Asks `pg_ctl status` (a stale pid file after a crash does not count as running).
    public var isRunning: Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("postmaster.pid").path),
            let bin = try? Self.binDirectory()
        else { return false }
        return (try? run(bin.appendingPathComponent("pg_ctl"), ["-D", dataDirectory.path, "status"])) != nil
    }

    /// Initialises (first time) and starts the cluster, and creates the database. Idempotent.
    public func up(database: String = "remora") throws {
        let bin = try Self.binDirectory()
        let fm = FileManager.default
        try fm.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        if !fm.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            try fm.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
            try handOver(root.appendingPathComponent("pg"))
            try run(bin.appendingPathComponent("initdb"), [
                "-D", dataDirectory.path, "-U", user, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
            ])
            let conf = """

                listen_addresses = '127.0.0.1'
                unix_socket_directories = '\(socketDirectory.path)'
                fsync = on
                max_connections = 200
                shared_buffers = 128MB
                """
            let confURL = dataDirectory.appendingPathComponent("postgresql.conf")
            let handle = try FileHandle(forWritingTo: confURL)
            handle.seekToEndOfFile()
            handle.write(Data(conf.utf8))
            try handle.close()
        }
        if !isRunning {
            do {
                try run(bin.appendingPathComponent("pg_ctl"), [
                    "-D", dataDirectory.path, "-l", logFile.path, "-o", "-p \(port)", "-w", "-t", "60", "start",
                ])
            } catch {
                // pg_ctl only says "examine the log": show the log's last words (e.g. the port is taken).
                let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                let tail = log.split(separator: "\n").suffix(3).joined(separator: "\n")
                throw Failure.command("pg_ctl start (port \(port); choose another with --port)", 1, tail)
            }
        }
        try createDatabase(database)
    }

    public func createDatabase(_ name: String) throws {
        let bin = try Self.binDirectory()
        let probe = try? run(bin.appendingPathComponent("psql"), [
            "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", "postgres", "-tAc",
            "SELECT 1 FROM pg_database WHERE datname = '\(name)'",
        ], asServerUser: false)
        if probe?.contains("1") != true {
            try run(bin.appendingPathComponent("createdb"), ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, name], asServerUser: false)
        }
    }

    public func dropDatabase(_ name: String) throws {
        let bin = try Self.binDirectory()
        try run(bin.appendingPathComponent("dropdb"), [
            "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "--if-exists", "--force", name,
        ], asServerUser: false)
    }

    public func down() throws {
        guard isRunning else { return }
        let bin = try Self.binDirectory()
        try run(bin.appendingPathComponent("pg_ctl"), ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"])
    }

    /// Restarts the server: `fast` (sessions terminated, as a failover or an upgrade does) or
    /// `immediate` (no clean shutdown: crash recovery at start, as after an out-of-memory kill).
    public func restart(mode: String = "fast", downFor pause: Duration = .zero) async throws {
        try stop(mode: mode)
        if pause > .zero { try await Task.sleep(for: pause) }
        try start()
    }

    /// Stops the server (`fast`: sessions terminated; `immediate`: no clean shutdown).
    public func stop(mode: String) throws {
        let bin = try Self.binDirectory()
        try run(bin.appendingPathComponent("pg_ctl"), ["-D", dataDirectory.path, "-m", mode, "-w", "stop"])
    }

    /// Starts the server of an initialised cluster.
    public func start() throws {
        let bin = try Self.binDirectory()
        try run(bin.appendingPathComponent("pg_ctl"), [
            "-D", dataDirectory.path, "-l", logFile.path, "-o", "-p \(port)", "-w", "-t", "60", "start",
        ])
    }

    /// As root, the data folder must belong to the server's user.
    private func handOver(_ folder: URL) throws {
        guard getuid() == 0 else { return }
        try run(URL(fileURLWithPath: "/bin/chown"), ["-R", "postgres:postgres", folder.path], asServerUser: false)
    }

    @discardableResult
    func run(_ executable: URL, _ arguments: [String], asServerUser: Bool = true) throws -> String {
        var argv = [executable.path] + arguments
        if asServerUser, getuid() == 0 { argv = ["/usr/sbin/runuser", "-u", "postgres", "--"] + argv }
        let (status, output) = try runAndWait(argv)
        guard status == 0 else {
            throw Failure.command(executable.lastPathComponent, status, output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output
    }
}
