public import Foundation

/// SplitMix64: tiny, fast and identical on every platform (the system generator is not
/// seedable), so a seed always gives the same world and the same benchmark inputs.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) / 9_007_199_254_740_992 }

    /// Uniform in (0, 1): never 0, so it is safe under a logarithm.
    public mutating func nextUniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    /// Standard normal (Box–Muller).
    public mutating func nextGaussian() -> Double {
        (-2 * log(nextUniform())).squareRoot() * cos(2 * Double.pi * nextUniform())
    }
}

extension SplitMix64 {
    /// An independent stream for one entity (a market, a wallet): parallel generation stays
    /// deterministic because no two entities share a generator.
    public init(seed: UInt64, stream: UInt64, index: Int) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) ^ (UInt64(truncatingIfNeeded: index) &* 0x8CB9_2BA7_2F3D_8DD7))
        self.init(seed: mixer.next())
    }

    /// Exponential with the given rate (mean 1/rate).
    public mutating func nextExponential(rate: Double) -> Double { -log(nextUniform()) / rate }

    /// Log-normal whose logarithm has mean log(median) and standard deviation sigma.
    public mutating func nextLogNormal(median: Double, sigma: Double) -> Double { median * exp(sigma * nextGaussian()) }

    /// Uniform integer in `range`.
    public mutating func nextInt(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// Bernoulli draw.
    public mutating func chance(_ probability: Double) -> Bool { nextDouble() < probability }

    /// Poisson count (inversion for small means, normal approximation above 30).
    public mutating func nextPoisson(mean: Double) -> Int {
        if mean <= 0 { return 0 }
        if mean > 30 { return max(0, Int((mean + mean.squareRoot() * nextGaussian()).rounded())) }
        let limit = exp(-mean)
        var product = nextUniform()
        var count = 0
        while product > limit {
            product *= nextUniform()
            count += 1
        }
        return count
    }

    /// Lowercase hex digits.
    public mutating func nextHex(digits: Int) -> String {
        let alphabet = Array("0123456789abcdef".utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits)
        var word = next()
        for i in 0..<digits {
            if i % 16 == 0 && i > 0 { word = next() }
            bytes.append(alphabet[Int(word & 15)])
            word >>= 4
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A 77/78-digit decimal token id, the shape of a CLOB token id.
    public mutating func nextTokenId() -> String {
        var digits = String(1 + next() % 9)
        while digits.count < 76 { digits += String(format: "%018llu", next() % 1_000_000_000_000_000_000) }
        return String(digits.prefix(76 + Int(next() % 2)))
    }
}
