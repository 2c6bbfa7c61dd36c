/// Splits a SQL script into statements on top-level semicolons, honouring quotes, dollar-quoted
/// bodies and comments. postgres-nio sends one statement per query (extended protocol).
public enum SQLScript {
    public static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let chars = Array(script)
        var i = 0
        var dollarTag: String? = nil
        var inQuote = false
        while i < chars.count {
            let c = chars[i]
            if let tag = dollarTag {
                if c == "$", String(chars[i..<min(chars.count, i + tag.count)]) == tag {
                    current += tag
                    i += tag.count
                    dollarTag = nil
                    continue
                }
                current.append(c)
            } else if inQuote {
                current.append(c)
                if c == "'" { inQuote = false }
            } else if c == "-", i + 1 < chars.count, chars[i + 1] == "-" {
                while i < chars.count, chars[i] != "\n" { i += 1 }
                continue
            } else if c == "'" {
                inQuote = true
                current.append(c)
            } else if c == "$", let end = chars[(i + 1)...].firstIndex(of: "$"),
                chars[(i + 1)..<end].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            {
                let tag = String(chars[i...end])
                dollarTag = tag
                current += tag
                i = end + 1
                continue
            } else if c == ";" {
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { statements.append(statement) }
                current = ""
            } else {
                current.append(c)
            }
            i += 1
        }
        let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !statement.isEmpty { statements.append(statement) }
        return statements
    }
}

import Foundation
