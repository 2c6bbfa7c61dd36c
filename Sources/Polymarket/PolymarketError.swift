/// Why a call to a Polymarket API failed, with what a dead-letter row needs to keep.
public enum PolymarketError: Error, CustomStringConvertible, Sendable {
    /// The answer arrived but cannot be decoded (malformed, truncated, wrong shape). `body` is
    /// the raw answer, kept for the dead-letter table.
    case undecodable(endpoint: String, url: String, reason: String, body: String)
    /// The API refused the request for good (4xx other than 429): retrying will not help.
    case rejected(endpoint: String, url: String, status: Int, body: String)
    /// Every attempt failed on a transient error (429, error body, 5xx, timeout, network).
    case exhausted(endpoint: String, url: String, attempts: Int, last: String)

    public var description: String {
        switch self {
        case .undecodable(let endpoint, let url, let reason, _): "\(endpoint): undecodable answer from \(url): \(reason)"
        case .rejected(let endpoint, let url, let status, let body): "\(endpoint): HTTP \(status) from \(url): \(body.prefix(200))"
        case .exhausted(let endpoint, let url, let attempts, let last): "\(endpoint): gave up on \(url) after \(attempts) attempts: \(last)"
        }
    }

    /// The raw body behind the failure, when there was one.
    public var rawBody: String? {
        switch self {
        case .undecodable(_, _, _, let body), .rejected(_, _, _, let body): body
        case .exhausted: nil
        }
    }
}
