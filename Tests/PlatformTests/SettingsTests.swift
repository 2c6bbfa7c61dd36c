import RemoraRuntime
import RemoraStore
import Testing

@Suite("Configuration errors name the setting")
struct SettingsTests {
    let declared = RemoraService.commonSettings(httpPort: 7411) + [Setting("REMORA_TEST_FRACTION", default: "0.02", "fraction")]

    @Test("missing required setting")
    func missing() {
        let settings = Settings(declared, environment: [:])
        #expect(throws: ConfigurationError.missing("DATABASE_URL")) { try settings.string("DATABASE_URL") }
        #expect("\(ConfigurationError.missing("DATABASE_URL"))" == "configuration error: DATABASE_URL is required but not set")
    }

    @Test("malformed values", arguments: [
        ("REMORA_HTTP_PORT", "70000"), ("REMORA_HTTP_PORT", "eighty"), ("REMORA_PARTITIONS", "3-1"),
        ("REMORA_PARTITIONS", "0,16"), ("REMORA_PARTITIONS", "x"), ("REMORA_TEST_FRACTION", "0.5"),
    ])
    func malformed(name: String, value: String) {
        let settings = Settings(declared, environment: [name: value])
        #expect {
            switch name {
            case "REMORA_HTTP_PORT": _ = try settings.int(name, in: 1...65535)
            case "REMORA_PARTITIONS": _ = try settings.partitions(name)
            default: _ = try settings.double(name, in: 0...0.08)
            }
        } throws: { error in
            guard case .malformed(let named, _) = error as? ConfigurationError else { return false }
            return named == name && "\(error)".contains(name) && !"\(error)".contains("\n")
        }
    }

    @Test("defaults, partition ranges and lists")
    func values() throws {
        let settings = Settings(declared, environment: ["REMORA_PARTITIONS": "0-2,7, 9"])
        #expect(try settings.partitions("REMORA_PARTITIONS") == [0, 1, 2, 7, 9])
        #expect(try Settings(declared, environment: [:]).partitions("REMORA_PARTITIONS") == Array(0..<16))
        #expect(try settings.int("REMORA_HTTP_PORT") == 7411)
        let help = Settings.helpText(service: "sizer", summary: "s", settings: declared)
        #expect(help.contains("DATABASE_URL") && help.contains("(required)") && help.contains("(default: 0.02)"))
    }

    @Test("database URLs parse and never print the password")
    func databaseURL() throws {
        let c = try DatabaseConfiguration(url: "postgres://remora:s3cr%40t@db.internal:6543/book?sslmode=require")
        #expect(c.host == "db.internal" && c.port == 6543 && c.database == "book" && c.password == "s3cr@t" && c.requireTLS)
        #expect(!"\(c)".contains("s3cr"))
        let socket = try DatabaseConfiguration(url: "postgres://remora@/x?host=/run/pg")
        #expect(socket.unixSocketDirectory == "/run/pg" && socket.serverOptions == nil)
        let tuned = try DatabaseConfiguration(url: "postgres://remora@db/x?options=-c%20synchronous_commit%3Doff")
        #expect(tuned.serverOptions == "-c synchronous_commit=off")
        #expect(throws: ConfigurationError.self) { try DatabaseConfiguration(url: "mysql://x") }
    }
}

@Suite("SQL script splitting")
struct SQLScriptTests {
    @Test("splits on top-level semicolons only")
    func split() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'a;b');
            CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$;
            CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
            SELECT 1
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 4)
        #expect(statements[0] == "CREATE TABLE a (x text DEFAULT 'a;b')")
        #expect(statements[1].hasSuffix("END $$"))
        #expect(statements[2].contains("$body$ SELECT 1; $body$"))
    }
}
