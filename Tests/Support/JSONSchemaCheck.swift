import Foundation

/// A JSON Schema checker for the keywords Remora's message schemas use (type, properties,
/// required, additionalProperties, const, enum, pattern, minimum, maximum, maxProperties, oneOf,
/// $ref to #/$defs). No Swift package provides one; it returns every violation with its path.
public struct JSONSchemaCheck {
    let root: [String: Any]

    public init(schemaFile: URL) throws {
        root = try JSONSerialization.jsonObject(with: Data(contentsOf: schemaFile)) as? [String: Any] ?? [:]
    }

    /// Violations of `json` (empty when valid).
    public func violations(of json: Data) throws -> [String] {
        let value = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
        var problems: [String] = []
        check(value, against: root, at: "$", into: &problems)
        return problems
    }

    private func check(_ value: Any, against schema: [String: Any], at path: String, into problems: inout [String]) {
        if let ref = schema["$ref"] as? String {
            let name = String(ref.dropFirst("#/$defs/".count))
            guard let defs = root["$defs"] as? [String: Any], let target = defs[name] as? [String: Any] else {
                problems.append("\(path): unresolvable $ref \(ref)")
                return
            }
            check(value, against: target, at: path, into: &problems)
        }
        if let type = schema["type"] {
            let types = (type as? [String]) ?? [type as? String ?? ""]
            if !types.contains(where: { matches(value, type: $0) }) { problems.append("\(path): expected \(types)") }
        }
        if let constant = schema["const"], !equal(value, constant) { problems.append("\(path): expected const \(constant)") }
        if let options = schema["enum"] as? [Any], !options.contains(where: { equal(value, $0) }) {
            problems.append("\(path): not one of \(options)")
        }
        if let pattern = schema["pattern"] as? String, let text = value as? String,
            text.range(of: pattern, options: .regularExpression) == nil
        {
            problems.append("\(path): \"\(text)\" does not match \(pattern)")
        }
        if let number = value as? NSNumber, !isBool(value) {
            if let minimum = schema["minimum"] as? NSNumber, number.doubleValue < minimum.doubleValue {
                problems.append("\(path): below minimum \(minimum)")
            }
            if let maximum = schema["maximum"] as? NSNumber, number.doubleValue > maximum.doubleValue {
                problems.append("\(path): above maximum \(maximum)")
            }
        }
        if let branches = schema["oneOf"] as? [[String: Any]] {
            let passing = branches.filter { branch in
                var sub: [String] = []
                check(value, against: branch, at: path, into: &sub)
                return sub.isEmpty
            }.count
            if passing != 1 { problems.append("\(path): \(passing) oneOf branches match, expected exactly 1") }
        }
        guard let object = value as? [String: Any] else { return }
        if let limit = schema["maxProperties"] as? Int, object.count > limit { problems.append("\(path): more than \(limit) properties") }
        for name in schema["required"] as? [String] ?? [] where object[name] == nil {
            problems.append("\(path): missing \(name)")
        }
        let properties = schema["properties"] as? [String: Any] ?? [:]
        for (name, member) in object {
            if let sub = properties[name] as? [String: Any] {
                check(member, against: sub, at: "\(path).\(name)", into: &problems)
            } else if schema["additionalProperties"] as? Bool == false {
                problems.append("\(path): unexpected property \(name)")
            }
        }
    }

    private func isBool(_ value: Any) -> Bool {
        if type(of: value) == Bool.self { return true }
        guard let number = value as? NSNumber else { return false }
        let code = String(cString: number.objCType)
        return code == "c" || code == "B"
    }

    private func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "boolean": return isBool(value)
        case "null": return value is NSNull
        case "integer":
            guard let n = value as? NSNumber, !isBool(value) else { return false }
            return n.doubleValue.rounded() == n.doubleValue
        case "number": return value is NSNumber && !isBool(value)
        default: return false
        }
    }

    private func equal(_ a: Any, _ b: Any) -> Bool {
        (a as? NSObject).map { $0.isEqual(b) } ?? false
    }
}
