import Foundation

/// Paired comparisons of two strategies over the same seeds: the differences
/// dᵢ = bᵢ − aᵢ of a metric (such as the area under the learning curve) per seed.
public enum PairedStatistics {
    /// The regularized incomplete beta function I_x(a, b), by Lentz's continued
    /// fraction (Numerical Recipes, §6.4); accurate to about 1e-12.
    public static func regularizedIncompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        precondition(a > 0 && b > 0, "I_x(a, b) needs a, b > 0")
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logGammas + logPowers
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, b, a) }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...400 {
            let m = Double(m)
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return exp(logFront) * h / a
    }

    /// P(|T| ≥ |t|) for Student's t with ν degrees of freedom (two-sided tail).
    public static func studentTwoSidedTail(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        return regularizedIncompleteBeta(nu / (nu + t * t), nu / 2, 0.5)
    }

    /// The quantile t with P(T ≤ t) = `probability` of Student's t with ν degrees of
    /// freedom, for probability in (0.5, 1) (by bisection; |error| < 1e-10).
    public static func studentQuantile(_ probability: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(probability > 0.5 && probability < 1, "quantile probability \(probability) outside (0.5, 1)")
        let tail = 2 * (1 - probability)
        var lo = 0.0, hi = 1.0
        while studentTwoSidedTail(hi, degreesOfFreedom: nu) > tail { hi *= 2 }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if studentTwoSidedTail(mid, degreesOfFreedom: nu) > tail { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 { break }
        }
        return (lo + hi) / 2
    }

    /// A paired t analysis of differences.
    public struct TTest: Sendable, Hashable {
        /// The number of pairs n.
        public var count: Int
        /// The mean difference d̄.
        public var meanDifference: Double
        /// The sample standard deviation of the differences.
        public var deviation: Double
        /// The lower end of the confidence interval for the mean difference.
        public var lower: Double
        /// The upper end.
        public var upper: Double
        /// The t statistic d̄ / (s / √n).
        public var statistic: Double
        /// The two-sided p-value.
        public var pValue: Double
    }

    /// The paired t-test and the `confidence` (0.95 by default) interval
    /// d̄ ± t₍₁₋α/₂, n−1₎ · s / √n of the differences. Needs n ≥ 2.
    public static func pairedT(_ differences: [Double], confidence: Double = 0.95) -> TTest? {
        let n = differences.count
        guard n >= 2 else { return nil }
        let mean = differences.reduce(0, +) / Double(n)
        let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        let s = variance.squareRoot(), se = s / Double(n).squareRoot()
        let q = studentQuantile(1 - (1 - confidence) / 2, degreesOfFreedom: Double(n - 1))
        let t = se > 0 ? mean / se : (mean == 0 ? 0 : (mean > 0 ? .infinity : -.infinity))
        let p = se > 0 ? studentTwoSidedTail(t, degreesOfFreedom: Double(n - 1)) : (mean == 0 ? 1 : 0)
        return TTest(count: n, meanDifference: mean, deviation: s, lower: mean - q * se, upper: mean + q * se,
                     statistic: t, pValue: p)
    }

    /// Wilcoxon's signed-rank test of differences: zero differences are dropped
    /// (scipy's `zero_method="wilcox"`), tied |dᵢ| share their mean rank, and the
    /// two-sided p-value is exact, 2·min(P(W⁺ ≤ w), P(W⁺ ≥ w)) capped at 1, from the
    /// distribution of W⁺ over all 2ⁿ sign patterns of these ranks.
    ///
    /// - Returns: W⁺ (the sum of the ranks of the positive differences), W = min(W⁺, W⁻)
    ///   (scipy's statistic), and the p-value; `nil` when every difference is zero.
    public static func wilcoxonSignedRank(_ differences: [Double]) -> (positiveRankSum: Double, statistic: Double, pValue: Double)? {
        let d = differences.filter { $0 != 0 }
        let n = d.count
        guard n > 0 else { return nil }
        let order = d.indices.sorted { abs(d[$0]) < abs(d[$1]) }
        var doubledRanks = [Int](repeating: 0, count: n)  // 2 × rank, an integer even with ties
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && abs(d[order[j + 1]]) == abs(d[order[i]]) { j += 1 }
            for k in i...j { doubledRanks[order[k]] = i + j + 2 }  // 2 × mean of ranks i+1 … j+1
            i = j + 1
        }
        let total = doubledRanks.reduce(0, +)
        var counts = [Double](repeating: 0, count: total + 1)
        counts[0] = 1
        for r in doubledRanks {
            for s in stride(from: total, through: r, by: -1) { counts[s] += counts[s - r] }
        }
        let patterns = counts.reduce(0, +)
        let w = d.indices.filter { d[$0] > 0 }.reduce(0) { $0 + doubledRanks[$1] }
        let below = counts[0...w].reduce(0, +) / patterns
        let above = counts[w...total].reduce(0, +) / patterns
        let wPlus = Double(w) / 2, wMinus = Double(total - w) / 2
        return (wPlus, min(wPlus, wMinus), min(1, 2 * min(below, above)))
    }
}
