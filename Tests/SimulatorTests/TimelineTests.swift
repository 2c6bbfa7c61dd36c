import Testing
@testable import RemoraSimulator

@Suite struct TimelineTests {
    @Test func calendarRoundTrip() {
        let t = unixTime(year: 2026, month: 6, day: 4) + 34 * 60 + 19
        #expect(MarketTimeline.gammaClosedTime(t) == "2026-06-04 00:34:19+00")
        #expect(MarketTimeline.iso8601(unixTime(year: 2024, month: 2, day: 29)) == "2024-02-29T00:00:00Z")
        #expect(decimalString(0.054, places: 4) == "0.054")
        #expect(decimalString(1, places: 4) == "1")
        #expect(decimalString(-12.5, places: 6) == "-12.5")
    }
}
