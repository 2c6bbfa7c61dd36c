import Foundation
import Testing

/// Loads the reference vectors in `Fixtures/` (copied unchanged from shared/reference/quant).
enum Fixture {
    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
            "fixture \(name).json missing from the test bundle")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(T.self, from: Data(contentsOf: url))
    }
}

/// True when `actual` matches `expected` within max(absolute, relative·|expected|); NaN matches NaN
/// and infinities must match exactly.
func isClose(_ actual: Double, _ expected: Double, rel: Double, abs absolute: Double = 0) -> Bool {
    if expected.isNaN { return actual.isNaN }
    if expected.isInfinite { return actual == expected }
    guard actual.isFinite else { return false }
    return Swift.abs(actual - expected) <= max(absolute, rel * Swift.abs(expected))
}

/// Records a failure naming the case and quantity when `actual` is not close to `expected`.
func expectClose(
    _ actual: Double, _ expected: Double, rel: Double, abs absolute: Double = 0, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = expected == 0 ? Swift.abs(actual) : Swift.abs(actual - expected) / Swift.abs(expected)
    // QUANT_TRACE=1 prints every comparison with its error as a fraction of the tolerance ("slack").
    if ProcessInfo.processInfo.environment["QUANT_TRACE"] != nil, expected.isFinite {
        let slack = Swift.abs(actual - expected) / max(absolute, rel * Swift.abs(expected), .leastNonzeroMagnitude)
        print("TRACE \(slack) \(what) err=\(error)")
    }
    #expect(
        isClose(actual, expected, rel: rel, abs: absolute),
        "\(what): got \(actual), expected \(expected) (rel err \(error), rel_tol \(rel), abs_tol \(absolute))",
        sourceLocation: sourceLocation)
}
