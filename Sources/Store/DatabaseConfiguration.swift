import Foundation
public import PostgresNIO

/// Where the database is, parsed from a `postgres://` URL. The password is kept out of
/// `description`, so printing or logging a configuration never leaks it.
public struct DatabaseConfiguration: Sendable, CustomStringConvertible {
    public var host: String?
    public var port: Int
    public var unixSocketDirectory: String?
    public var username: String
    public var password: String?
    public var database: String
    public var requireTLS: Bool
    /// Server settings for every session, libpq's `options` parameter (`-c name=value …`), e.g.
    /// `?options=-c%20synchronous_commit%3Doff` (see "Commit durability" in docs/architecture.md before using that one).
    public var serverOptions: String?

    /// Accepts `postgres://user:pass@host:5432/db`, `postgresql://…`, and a unix socket given as
    /// `postgres://user@/db?host=/path/to/socket/dir` (libpq's convention). `sslmode=require`
    /// asks for TLS; otherwise TLS is not used (loopback and compose networks).
    public init(url text: String) throws {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else { throw ConfigurationError.malformed("DATABASE_URL", "expected postgres://user:password@host:port/database") }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let hostFromQuery = query["host"]
        if let socket = hostFromQuery, socket.hasPrefix("/") {
            unixSocketDirectory = socket
            host = nil
        } else {
            host = (components.host?.isEmpty == false ? components.host : hostFromQuery) ?? "127.0.0.1"
            unixSocketDirectory = nil
        }
        port = components.port ?? Int(query["port"] ?? "") ?? 5432
        username = components.user?.removingPercentEncoding ?? "postgres"
        password = components.password?.removingPercentEncoding
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? username : path
        requireTLS = query["sslmode"] == "require"
        serverOptions = query["options"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String {
        let location = unixSocketDirectory.map { "unix:\($0)/.s.PGSQL.\(port)" } ?? "\(host ?? "?"):\(port)"
        return "postgres://\(username)\(password == nil ? "" : ":***")@\(location)/\(database)"
    }

    /// One connection outside the pool (the watchdog's heartbeat).
    var connectionConfiguration: PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let directory = unixSocketDirectory {
            configuration = .init(
                unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            configuration = .init(
                host: host ?? "127.0.0.1", port: port, username: username, password: password, database: database,
                tls: requireTLS ? .require(try! .init(configuration: .makeClientConfiguration())) : .disable)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let directory = unixSocketDirectory {
            configuration = .init(
                unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: username, password: password,
                database: database)
        } else {
            configuration = .init(
                host: host ?? "127.0.0.1", port: port, username: username, password: password, database: database,
                tls: requireTLS ? .require(.makeClientConfiguration()) : .disable)
        }
        configuration.options.maximumConnections = 8
        if let serverOptions { configuration.options.additionalStartupParameters = [("options", serverOptions)] }
        return configuration
    }
}

/// A setting is missing or malformed. The message names the setting, in one line.
public enum ConfigurationError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case malformed(String, String)

    public var description: String {
        switch self {
        case .missing(let name): "configuration error: \(name) is required but not set"
        case .malformed(let name, let why): "configuration error: \(name) is malformed: \(why)"
        }
    }
}
