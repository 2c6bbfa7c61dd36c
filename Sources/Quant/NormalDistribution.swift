internal import Foundation

/// The normal (Gaussian) distribution N(mean, standardDeviation²).
///
/// Accuracy (standard normal): `cdf`/`survival` use W. J. Cody's rational Chebyshev
/// approximations (as in R's `pnorm`), about 1e-15 relative over the whole range, tails included;
/// `quantile` uses Wichura's AS241 (PPND16), about 1e-16 relative for q from 1e-300 to 1 − 2⁻⁵³.
/// Out-of-domain arguments give NaN (like scipy), never a trap.
public struct NormalDistribution: Sendable, Hashable {
    /// Location μ.
    public let mean: Double
    /// Scale σ > 0.
    public let standardDeviation: Double

    /// N(mean, standardDeviation²); `standardDeviation` must be > 0 (otherwise every function returns NaN).
    public init(mean: Double = 0, standardDeviation: Double = 1) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// The standard normal N(0, 1).
    public static let standard = NormalDistribution()

    /// Density at `x`.
    public func pdf(_ x: Double) -> Double {
        guard standardDeviation > 0 else { return .nan }
        let z = (x - mean) / standardDeviation
        return Self.inverseSqrtTwoPi * exp(-0.5 * z * z) / standardDeviation
    }

    /// P(X ≤ x).
    public func cdf(_ x: Double) -> Double {
        guard standardDeviation > 0 else { return .nan }
        return Self.standardTails((x - mean) / standardDeviation).lower
    }

    /// P(X > x) = 1 − cdf(x), computed directly so the upper tail keeps full relative precision.
    public func survival(_ x: Double) -> Double {
        guard standardDeviation > 0 else { return .nan }
        return Self.standardTails((x - mean) / standardDeviation).upper
    }

    /// Quantile: x with P(X ≤ x) = q. q = 0 gives −∞, q = 1 gives +∞, q outside [0, 1] or NaN gives NaN.
    public func quantile(_ q: Double) -> Double {
        guard standardDeviation > 0 else { return .nan }
        return mean + standardDeviation * Self.standardQuantile(q)
    }

    /// Standard normal quantile Φ⁻¹(q) (Wichura AS241 / PPND16). Same edge rules as `quantile`.
    public static func standardQuantile(_ q: Double) -> Double {
        guard q >= 0, q <= 1 else { return .nan }
        if q == 0 { return -.infinity }
        if q == 1 { return .infinity }
        let d = q - 0.5
        if abs(d) <= 0.425 {
            let r = 0.180625 - d * d
            let num = (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r
                + 6.7265770927008700853e4) * r + 4.5921953931549871457e4) * r
                + 1.3731693765509461125e4) * r + 1.9715909503065514427e3) * r
                + 1.3314166789178437745e2) * r + 3.3871328727963666080e0)
            let den = (((((((5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r
                + 3.9307895800092710610e4) * r + 2.1213794301586595867e4) * r
                + 5.3941960214247511077e3) * r + 6.8718700749205790830e2) * r
                + 4.2313330701600911252e1) * r + 1.0)
            return d * num / den
        }
        var r = d < 0 ? q : 1 - q
        r = (-log(r)).squareRoot()
        var value: Double
        if r <= 5 {
            r -= 1.6
            let num = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
                + 2.41780725177450611770e-1) * r + 1.27045825245236838258e0) * r
                + 3.64784832476320460504e0) * r + 5.76949722146069140550e0) * r
                + 4.63033784615654529590e0) * r + 1.42343711074968357734e0)
            let den = (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
                + 1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r
                + 6.89767334985100004550e-1) * r + 1.67638483018380384940e0) * r
                + 2.05319162663775882187e0) * r + 1.0)
            value = num / den
        } else {
            r -= 5
            let num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                + 1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r
                + 2.96560571828504891230e-1) * r + 1.78482653991729133580e0) * r
                + 5.46378491116411436990e0) * r + 6.65790464350110377720e0)
            let den = (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
                + 1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r
                + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
                + 5.99832206555887937690e-1) * r + 1.0)
            value = num / den
        }
        return d < 0 ? -value : value
    }

    /// Standard normal (Φ(z), 1 − Φ(z)), each with full relative precision (Cody's algorithm).
    public static func standardTails(_ z: Double) -> (lower: Double, upper: Double) {
        if z.isNaN { return (.nan, .nan) }
        let y = abs(z)
        if y <= 0.67448975 {
            var num = 0.0
            var den = 0.0
            if y > 0.5 * Double.ulpOfOne {
                let zsq = z * z
                num = cdfA[4] * zsq
                den = zsq
                for i in 0..<3 {
                    num = (num + cdfA[i]) * zsq
                    den = (den + cdfB[i]) * zsq
                }
            }
            let t = z * (num + cdfA[3]) / (den + cdfB[3])
            return (0.5 + t, 0.5 - t)
        }
        let tail: Double  // P(Z ≤ −|z|)
        if y <= 32.0.squareRoot() {
            var num = cdfC[8] * y
            var den = y
            for i in 0..<7 {
                num = (num + cdfC[i]) * y
                den = (den + cdfD[i]) * y
            }
            tail = gaussianFactor(y) * (num + cdfC[7]) / (den + cdfD[7])
        } else if y < 40 {
            let zsq = 1 / (y * y)
            var num = cdfP[5] * zsq
            var den = zsq
            for i in 0..<4 {
                num = (num + cdfP[i]) * zsq
                den = (den + cdfQ[i]) * zsq
            }
            var t = zsq * (num + cdfP[4]) / (den + cdfQ[4])
            t = (inverseSqrtTwoPi - t) / y
            tail = gaussianFactor(y) * t
        } else {
            tail = 0
        }
        return z > 0 ? (1 - tail, tail) : (tail, 1 - tail)
    }

    /// exp(−y²/2) evaluated as exp(−s²/2)·exp(−(y−s)(y+s)/2) with s = y rounded down to 1/16,
    /// so the large exponent is exact (Cody's trick for relative accuracy in the far tail).
    @inline(__always)
    static func gaussianFactor(_ y: Double) -> Double {
        let s = (y * 16).rounded(.towardZero) / 16
        let del = (y - s) * (y + s)
        return exp(-s * s * 0.5) * exp(-del * 0.5)
    }

    static let inverseSqrtTwoPi = 0.398942280401432677939946059934

    static let cdfA: [Double] = [
        2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582,
        18154.981253343561249, 0.065682337918207449113,
    ]
    static let cdfB: [Double] = [
        47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956,
    ]
    static let cdfC: [Double] = [
        0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979,
        597.27027639480026226, 2494.5375852903726711, 6848.1904505362823326,
        11602.651437647350124, 9842.7148383839780218, 1.0765576773720192317e-8,
    ]
    static let cdfD: [Double] = [
        22.266688044328115691, 235.38790178262499861, 1519.377599407554805,
        6485.558298266760755, 18615.571640885098091, 34900.952721145977266,
        38912.003286093271411, 19685.429676859990727,
    ]
    static let cdfP: [Double] = [
        0.21589853405795699, 0.1274011611602473639, 0.022235277870649807,
        0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303,
    ]
    static let cdfQ: [Double] = [
        1.28426009614491121, 0.468238212480865118, 0.0659881378689285515,
        0.00378239633202758244, 7.29751555083966205e-5,
    ]
}
