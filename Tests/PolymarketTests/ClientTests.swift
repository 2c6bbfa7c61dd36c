import Foundation
import Testing

@testable import RemoraPolymarket

/// Answers from a script, one per request, and records the URLs asked.
final class ScriptedTransport: HTTPGetting, @unchecked Sendable {
    enum Step {
        case reply(HTTPReply)
        case fail(any Error)
    }
    private let lock = NSLock()
    private var steps: [Step]
    private(set) var urls: [String] = []

    init(_ steps: [Step]) { self.steps = steps }

    func get(_ url: String, timeout: Duration) async throws -> HTTPReply {
        let step: Step = lock.withLock {
            urls.append(url)
            return steps.isEmpty ? .reply(HTTPReply(status: 500, body: [])) : steps.removeFirst()
        }
        switch step {
        case .reply(let reply): return reply
        case .fail(let error): throw error
        }
    }

    var requests: Int { lock.withLock { urls.count } }
}

func json(_ text: String, status: Int = 200, retryAfter: Double? = nil) -> ScriptedTransport.Step {
    .reply(HTTPReply(status: status, retryAfter: retryAfter, body: Array(text.utf8)))
}

let oneTrade = #"""
    [{"proxyWallet":"0x15980cf3adf0ccbfe3febec39e6b36e9a979e2b6","side":"BUY","asset":"9409",
      "conditionId":"0x97a5aaea08ebf41e5036588cd57e4068a9c488368cc694201bbf1df1607e38f9",
      "size":10,"price":0.5,"timestamp":1770479519,"outcomeIndex":0,"transactionHash":"0x76"}]
    """#

func client(_ transport: ScriptedTransport, attempts: Int = 6) -> PolymarketClient {
    PolymarketClient(
        endpoints: PolymarketEndpoints(dataAPI: "http://data/", gamma: "http://gamma", clob: "http://clob"),
        retry: RetryPolicy(attempts: attempts, timeout: .seconds(1), backoffBase: .milliseconds(1), backoffCap: .milliseconds(5)),
        transport: transport)
}

@Suite("Polymarket: retries, error bodies, budgets")
struct ClientTests {
    @Test("429 (honouring Retry-After), HTTP-200 error bodies, 5xx, timeouts and malformed answers are retried")
    func transientFailures() async throws {
        let transport = ScriptedTransport([
            json(#"{"error":"Too Many Requests"}"#, status: 429, retryAfter: 0.2),
            json(#"{"error":"Too Many Requests"}"#),
            json("upstream", status: 502),
            .fail(TransportTimeout(url: "x", timeout: .seconds(1))),
            json(String(oneTrade.prefix(60))),
            json(oneTrade),
        ])
        let started = ContinuousClock.now
        let rows = try await client(transport).trades(user: "0xabc", takerOnly: false, limit: 500, offset: 1000)
        #expect(rows.count == 1 && rows[0].price == 0.5)
        #expect(transport.requests == 6)
        #expect(ContinuousClock.now - started >= .milliseconds(200), "Retry-After was not honoured")
        #expect(transport.urls[0] == "http://data/trades?user=0xabc&takerOnly=false&limit=500&offset=1000")
    }

    @Test("an answer that never decodes fails with its raw body; a 4xx is not retried")
    func permanentFailures() async throws {
        let garbage = ScriptedTransport(Array(repeating: json("<html>oops</html>"), count: 3))
        do {
            _ = try await client(garbage, attempts: 3).trades(user: "0xabc")
            Issue.record("expected a failure")
        } catch let error as PolymarketError {
            #expect(error.rawBody == "<html>oops</html>")
            guard case .undecodable = error else { Issue.record("\(error)"); return }
        }
        #expect(garbage.requests == 3)

        let missing = ScriptedTransport([json(#"{"error":"No orderbook exists for the requested token id"}"#, status: 404)])
        do {
            _ = try await client(missing).book(tokenId: "1")
            Issue.record("expected a failure")
        } catch PolymarketError.rejected(_, _, let status, _) {
            #expect(status == 404)
        }
        #expect(missing.requests == 1)

        let throttled = ScriptedTransport(Array(repeating: json(#"{"error":"Too Many Requests"}"#), count: 4))
        await #expect(throws: PolymarketError.self) { _ = try await client(throttled, attempts: 4).markets(conditionIds: ["0x1"]) }
        #expect(throttled.requests == 4)
    }

    @Test("a token bucket holds a steady caller to its rate after the burst")
    func budget() async throws {
        let budget = RequestBudget(requests: 10, per: .seconds(1))
        let started = ContinuousClock.now
        for _ in 0..<10 { try await budget.acquire() }
        #expect(ContinuousClock.now - started < .milliseconds(200), "the burst should pass at once")
        for _ in 0..<5 { try await budget.acquire() }
        #expect(ContinuousClock.now - started >= .milliseconds(400), "five more need about half a second")
    }

    @Test("query strings: repeated keys, commas kept for market lists, values encoded")
    func queries() {
        #expect(PolymarketClient.queryString([("condition_ids", "0x1"), ("condition_ids", "0x2")]) == "?condition_ids=0x1&condition_ids=0x2")
        #expect(PolymarketClient.queryString([("slug", "a b&c")]) == "?slug=a%20b%26c")
        #expect(PolymarketClient.queryString([]) == "")
    }
}
