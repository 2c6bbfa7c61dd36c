public import RemoraModel
import Synchronization

/// Process-wide numbers for condition ids, so that a ledger keeps 4 bytes a market instead of a
/// 16-byte string reference (a scorer holds about one market reference per settlement).
///
/// The numbers are an identity only: no score reads them (a ledger numbers its markets itself,
/// by first appearance), so processes that number markets differently score the same bits.
public final class MarketNumbers: Sendable {
    private struct Table {
        var numbers: [ConditionID: UInt32] = [:]
        var ids: [ConditionID] = []
    }
    private let table = Mutex(Table())

    public static let shared = MarketNumbers()

    public init() {}

    /// The market's number, given one if it has none yet.
    public func number(of id: ConditionID) -> UInt32 {
        table.withLock { table in
            if let known = table.numbers[id] { return known }
            precondition(table.ids.count < Int(UInt32.max), "more than 4 billion markets")
            let number = UInt32(table.ids.count)
            table.numbers[id] = number
            table.ids.append(id)
            return number
        }
    }

    /// The market's number if it has one (a market no ledger holds has none).
    public func existingNumber(of id: ConditionID) -> UInt32? {
        table.withLock { $0.numbers[id] }
    }

    public func id(_ number: UInt32) -> ConditionID {
        table.withLock { $0.ids[Int(number)] }
    }
}
