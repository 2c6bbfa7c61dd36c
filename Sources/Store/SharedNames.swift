public import RemoraModel
import Synchronization

/// One copy of each market id and category name read, shared by everything that keeps them: a
/// store read otherwise makes a string per row, and the scorer's ledgers would hold one copy of a
/// market id per wallet that traded it (about 100 bytes each, 80 MB at a million settlements).
/// Grows with the markets and categories seen, never with the trades.
public final class SharedNames: Sendable {
    private let markets = Mutex<[String: ConditionID]>([:])
    private let names = Mutex<[String: String]>([:])

    public init() {}

    public func market(_ raw: String) -> ConditionID? {
        if let known = markets.withLock({ $0[raw] }) { return known }
        guard let id = ConditionID(raw) else { return nil }
        return markets.withLock { markets in
            if let known = markets[raw] { return known }
            markets[raw] = id
            return id
        }
    }

    public func name(_ raw: String) -> String {
        names.withLock { names in
            if let known = names[raw] { return known }
            names[raw] = raw
            return raw
        }
    }

    /// A read's own view: the last id asked again is answered without the lock (rows of one
    /// market come in runs).
    struct Local {
        let shared: SharedNames
        private var lastMarket: (raw: String, id: ConditionID)?
        private var lastName: String?

        init(_ shared: SharedNames) { self.shared = shared }

        mutating func market(_ raw: String) -> ConditionID? {
            if let lastMarket, lastMarket.raw == raw { return lastMarket.id }
            guard let id = shared.market(raw) else { return nil }
            lastMarket = (raw, id)
            return id
        }

        mutating func name(_ raw: String) -> String {
            if let lastName, lastName == raw { return lastName }
            let name = shared.name(raw)
            lastName = name
            return name
        }
    }
}
