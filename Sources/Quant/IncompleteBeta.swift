internal import Foundation

/// The regularized incomplete beta function I_x(a, b) and its complement.
///
/// Method: continued fraction (Numerical Recipes `betacf`, modified Lentz), evaluated on whichever
/// side converges (x < (a+1)/(a+b+2), otherwise the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)).
/// The front factor xᵃ(1−x)ᵇ/B(a,b) is computed without cancellation: for a, b ≥ 10 in the
/// "deviance" form of TOMS 708 (`brcomp`), otherwise from a cancellation-free `logBeta`.
/// The side that is computed directly carries full relative precision; the other is 1 − it.
public enum IncompleteBeta {
    /// I_x(a, b) for a, b > 0 and x in [0, 1]; NaN otherwise.
    public static func regularized(x: Double, a: Double, b: Double) -> Double {
        evaluate(x: x, y: 1 - x, a: a, b: b).lower
    }

    /// 1 − I_x(a, b), computed without cancellation when it is the small side.
    public static func complement(x: Double, a: Double, b: Double) -> Double {
        evaluate(x: x, y: 1 - x, a: a, b: b).upper
    }

    /// Both I_x(a, b) and 1 − I_x(a, b), plus the density-like front factor xᵃyᵇ/B(a,b).
    /// `y` must equal 1 − x; callers pass it when they know it more precisely than `1 - x`.
    @usableFromInline
    static func evaluate(x: Double, y: Double, a: Double, b: Double)
        -> (lower: Double, upper: Double, front: Double)
    {
        guard a > 0, b > 0, x >= 0, y >= 0, x <= 1, y <= 1, a.isFinite, b.isFinite else {
            return (.nan, .nan, .nan)
        }
        if x == 0 { return (0, 1, 0) }
        if y == 0 { return (1, 0, 0) }
        let f = front(x: x, y: y, a: a, b: b)
        if f == 0 {
            // Far tail: the small side underflows; decide which side by the switch point.
            return x < (a + 1) / (a + b + 2) ? (0, 1, 0) : (1, 0, 0)
        }
        if x < (a + 1) / (a + b + 2) {
            let lower = f * continuedFraction(a: a, b: b, x: x) / a
            return (lower, 1 - lower, f)
        } else {
            let upper = f * continuedFraction(a: b, b: a, x: y) / b
            return (1 - upper, upper, f)
        }
    }

    /// xᵃ yᵇ / B(a, b) with y = 1 − x.
    @usableFromInline
    static func front(x: Double, y: Double, a: Double, b: Double) -> Double {
        if min(a, b) >= 10 {
            // x^a y^b / B = sqrt(ab/(2π(a+b))) · exp(−[a·φ(d/x0) + b·φ(−d/y0)] − Δμ),
            // φ(t) = t − ln(1+t) ≥ 0, x0 = a/(a+b), d = x − x0. Both terms are ≥ 0: no cancellation.
            let s = a + b
            let x0 = a / s
            let y0 = b / s
            let d = x <= 0.5 ? x - x0 : y0 - y
            let exponent = a * logOnePlusRemainder(d / x0) + b * logOnePlusRemainder(-d / y0)
            let corr = GammaFunctions.stirlingCorrection(a) + GammaFunctions.stirlingCorrection(b)
                - GammaFunctions.stirlingCorrection(s)
            return (a * y0).squareRoot() * NormalDistribution.inverseSqrtTwoPi * exp(-exponent - corr)
        }
        let lx = x <= 0.5 ? log(x) : log1p(-y)
        let ly = x <= 0.5 ? log1p(-x) : log(y)
        return exp(a * lx + b * ly - GammaFunctions.logBeta(a, b))
    }

    /// φ(t) = t − ln(1 + t) for t > −1, accurate also for small |t| (series in s = t/(2+t)).
    @usableFromInline
    static func logOnePlusRemainder(_ t: Double) -> Double {
        if abs(t) > 0.5 { return t - log1p(t) }
        // ln(1+t) = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + …), t = 2s/(1−s)  ⇒  φ = 2s²/(1−s) − 2(s³/3 + s⁵/5 + …)
        let s = t / (2 + t)
        let s2 = s * s
        var power = s * s2
        var tail = 0.0
        var k = 3.0
        while true {
            let term = power / k
            tail += term
            if abs(term) <= abs(tail) * 1e-17 || k > 61 { break }
            power *= s2
            k += 2
        }
        return 2 * s2 / (1 - s) - 2 * tail
    }

    /// Continued fraction for I_x(a,b)·a / front (modified Lentz). Converges fast for x < (a+1)/(a+b+2).
    @usableFromInline
    static func continuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300
        let qab = a + b
        let qap = a + 1
        let qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        var m = 1.0
        while m < 100_000 {
            let m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) <= 1.2e-16 { break }
            m += 1
        }
        return h
    }
}
