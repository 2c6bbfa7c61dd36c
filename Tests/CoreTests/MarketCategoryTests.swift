import RemoraCore
import RemoraModel
import RemoraSimulator
import Testing

@Suite("Category names: one key set")
struct MarketCategoryTests {
    @Test("every spelling of a category maps to its key", arguments: [
        ("Pop Culture", "pop-culture"), ("pop culture", "pop-culture"), ("POP_CULTURE", "pop-culture"), ("CULTURE", "pop-culture"),
        ("pop-culture", "pop-culture"), ("Politics", "politics"), ("US Current Affairs", "us-current-affairs"), ("", "other"),
        ("  ", "other"), ("Economy", "economics"),
    ])
    func canonical(text: String, key: String) {
        #expect(MarketCategory.canonical(text) == key)
    }

    @Test("the simulator's Gamma titles come back as the keys, and the base-rate table uses the same keys")
    func sharedKeys() {
        for key in MarketCategory.known {
            #expect(MarketCategory.canonical(GammaMarketObject.categoryTitle(key)) == key)
        }
        #expect(Set(WalletMetricsCalculator.seedBaseRates.keys).isSubset(of: MarketCategory.known))
        // The prior of a pop-culture wallet is the table's, not the 0.5 fallback.
        #expect(WalletMetricsCalculator.seedBaseRates[MarketCategory.canonical("Pop Culture")] == 0.497)
    }
}
