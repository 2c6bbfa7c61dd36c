import Foundation
public import RemoraStore

/// One environment variable a service reads, with its meaning and default, so that `--help`
/// lists every setting and a bad value stops start-up with a one-line error that names it.
public struct Setting: Sendable {
    public let name: String
    public let help: String
    public let defaultValue: String?
    public let kind: Kind

    /// What a value must look like; checked for every setting before a service starts anything.
    public enum Kind: Sendable {
        case text
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        /// A positive or zero USDC amount ("100", "25.5").
        case usdc
        case partitions
        case choice([String])
    }

    public init(_ name: String, default defaultValue: String?, _ help: String, kind: Kind = .text) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
        self.kind = kind
    }
}

/// Values read from the environment against a list of `Setting`s.
public struct Settings: Sendable {
    public let declared: [Setting]
    private let environment: [String: String]

    public init(_ declared: [Setting], environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.declared = declared
        self.environment = environment
    }

    /// The raw value, or the default; throws `.missing` when neither exists.
    public func string(_ name: String) throws -> String {
        if let value = environment[name], !value.isEmpty { return value }
        if let fallback = declared.first(where: { $0.name == name })?.defaultValue { return fallback }
        throw ConfigurationError.missing(name)
    }

    public func optionalString(_ name: String) -> String? {
        (try? string(name)).flatMap { $0.isEmpty ? nil : $0 }
    }

    public func int(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        let text = try string(name)
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError.malformed(name, "expected an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    public func double(_ name: String, in range: ClosedRange<Double>) throws -> Double {
        let text = try string(name)
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ConfigurationError.malformed(name, "expected a number in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    /// Partitions this replica owns: "all", "0-7", or "0,3,5".
    public func partitions(_ name: String) throws -> [Int] {
        let text = try string(name)
        if text == "all" { return Array(0..<StreamName.partitionCount) }
        var result = Set<Int>()
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map {
                Int($0.trimmingCharacters(in: .whitespaces))
            }
            guard bounds.allSatisfy({ $0 != nil }), (1...2).contains(bounds.count),
                let low = bounds.first!, let high = bounds.last!, low <= high, low >= 0,
                high < StreamName.partitionCount
            else {
                throw ConfigurationError.malformed(
                    name, "expected \"all\", a range like 0-7 or a list like 0,3,5 within 0...\(StreamName.partitionCount - 1)")
            }
            result.formUnion(low...high)
        }
        return result.sorted()
    }

    /// Checks every declared setting (presence of required ones, shape of all); throws the first
    /// problem as a one-line `ConfigurationError` naming the setting.
    public func validate() throws {
        for setting in declared {
            switch setting.kind {
            case .text: _ = try string(setting.name)
            case .integer(let range): _ = try int(setting.name, in: range)
            case .number(let range): _ = try double(setting.name, in: range)
            case .partitions: _ = try partitions(setting.name)
            case .choice(let options):
                let text = try string(setting.name)
                guard options.contains(text) else {
                    throw ConfigurationError.malformed(setting.name, "expected one of \(options.joined(separator: ", ")), got \"\(text)\"")
                }
            case .usdc:
                let text = try string(setting.name)
                // Bounded where it enters: a book of more than 10¹² USDC would let its sums overflow.
                guard let amount = USDC(decimal: text), amount >= .zero, amount <= USDC.largestSetting else {
                    throw ConfigurationError.malformed(
                        setting.name, "expected a USDC amount like 100 or 25.5, at most \(USDC.largestSetting), got \"\(text)\"")
                }
            }
        }
    }

    /// The `--help` text: every setting with its default.
    public static func helpText(service: String, summary: String, settings: [Setting]) -> String {
        var lines = ["\(service): \(summary)", "", "Configuration (environment variables):"]
        let width = settings.map(\.name.count).max() ?? 0
        for setting in settings {
            let padded = setting.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let fallback = setting.defaultValue.map { " (default: \($0.isEmpty ? "empty" : $0))" } ?? " (required)"
            lines.append("  \(padded)  \(setting.help)\(fallback)")
        }
        return lines.joined(separator: "\n")
    }
}

import RemoraModel
