import Foundation
import RemoraCore
import RemoraModel
import Testing

@Suite("Audit chain: SHA-256 links over canonical JSON")
struct AuditChainTests {
    static let halt = RiskAction(id: 7, at: EventTime(millis: 1000), kind: .halt, by: "ana", reason: "drill")

    @Test("an entry is its canonical JSON (sorted keys, no row id) and links by SHA-256 (Python hashlib reference)")
    func canonical() throws {
        let entry = try AuditChain.entry(.operatorAction, at: Self.halt.at, AuditChain.Action(Self.halt))
        #expect(entry.text == #"{"at":1000,"kind":"operator_action","payload":{"at":1000,"by":"ana","kind":"halt","reason":"drill"}}"#)
        // hashlib.sha256(("0" * 64 + "\n" + text).encode()).hexdigest()
        #expect(AuditChain.link(previous: AuditChain.genesis, text: entry.text) == "599f81c6235104b33c5407a546b9c40c832eb277f734df358448c87927c0d751")
        // The row id is not part of it: the same action recorded under another id hashes the same.
        var again = Self.halt
        again.id = 99
        #expect(try AuditChain.entry(.operatorAction, at: again.at, AuditChain.Action(again)) == entry)
    }

    static func chain(_ count: Int) throws -> [AuditChain.Row] {
        var entries: [AuditChain.Entry] = []
        for i in 1...count {
            let at = EventTime(millis: Int64(i))
            let up = i % 2 == 0
            let change = TradingStateChange(at: at, from: up ? .active : .reducing, to: up ? .reducing : .active, cause: "mVaR \(i)")
            entries.append(try AuditChain.entry(.tradingState, at: at, change))
        }
        return zip(entries, AuditChain.append(entries, after: (0, AuditChain.genesis))).map { entry, link in
            AuditChain.Row(seq: link.seq, previous: link.previous, hash: link.hash, text: entry.text)
        }
    }

    @Test("verification names the first edited, deleted or reordered entry; an intact chain passes, in pages too")
    func tampering() throws {
        let rows = try Self.chain(6)
        #expect(AuditChain.firstBreak(rows, after: nil) == nil)
        #expect(AuditChain.firstBreak(Array(rows[3...]), after: (rows[2].seq, rows[2].hash)) == nil, "a page continues from the last")
        var edited = rows
        edited[2].text = edited[2].text.replacingOccurrences(of: "mVaR 3", with: "mVaR 0")
        #expect(AuditChain.firstBreak(edited, after: nil) == "entry 3 was edited: its text does not hash to its stored hash")
        var deleted = rows
        deleted.remove(at: 3)
        #expect(AuditChain.firstBreak(deleted, after: nil)?.hasPrefix("entry 4 is missing") == true)
        // Reordered, renumbered to hide it: entries 3 and 4 swapped.
        var reordered = rows
        reordered.swapAt(2, 3)
        (reordered[2].seq, reordered[3].seq) = (3, 4)
        #expect(AuditChain.firstBreak(reordered, after: nil)?.hasPrefix("entry 3 does not follow entry 2") == true)
        // Deleted and every later link rewritten to hide it: the first rewritten one no longer hashes.
        var rewritten = Array(rows[0..<3]) + Array(rows[4...])
        for i in 3..<rewritten.count {
            rewritten[i].seq -= 1
            rewritten[i].previous = rewritten[i - 1].hash
        }
        #expect(AuditChain.firstBreak(rewritten, after: nil) == "entry 4 was edited: its text does not hash to its stored hash")
    }
}
