// Logit-level distillation: per target row, loss = alpha * CE(label) + (1 - alpha) * T² * D,
// D a divergence between the teacher's and the student's distributions at temperature T
// (Hinton et al.'s T² keeps the gradient scale independent of T).
//
// All divergences are written over buckets b of the vocabulary: single tokens when the
// teacher's whole distribution is known, or its top k tokens plus one "tail" bucket holding
// the rest when it comes from a cache. With P_b the student's bucket mass, p_j its token
// probability and h_b = P_b * dD/dP_b, the gradient is
//     dD/dz_j = (h_b(j) * p_j / P_b(j) - p_j * sum_b h_b) / T.
import CAfinaKernels
import Foundation

/// Which divergence between teacher q and student p.
public enum Divergence: Sendable, Equatable {
    /// KL(q ‖ p): the student covers every mode of the teacher.
    case forwardKL
    /// KL(p ‖ q): the student seeks the teacher's main mode.
    case reverseKL
    /// Generalized Jensen-Shannon as in GKD (Agarwal et al.) and TRL: with m = beta q +
    /// (1 - beta) p, D = beta KL(q ‖ m) + (1 - beta) KL(p ‖ m); 0 < beta < 1.
    case jensenShannon(beta: Double)
}

/// How the distillation loss mixes labels and teacher.
public struct DistillationLoss: Sendable, Equatable {
    public var divergence: Divergence
    public var temperature: Double
    /// Weight of cross-entropy on the labels; 1 - alpha weighs T² * divergence.
    public var alpha: Double

    public init(divergence: Divergence, temperature: Double, alpha: Double) {
        (self.divergence, self.temperature, self.alpha) = (divergence, temperature, alpha)
    }
}

/// The teacher's distribution for each target row of a pass, in the rows' order.
public enum TeacherDistribution: @unchecked Sendable {
    /// Raw teacher logits [rows, V] over the student's vocabulary (tempered by the loss).
    case logits(Tensor)
    /// The teacher's `k` most likely tokens per row with their log-probabilities at the
    /// distillation temperature, and the log of the mass left to all other tokens.
    case topK(k: Int, ids: [Int32], logprobs: [Float], logTail: [Float])

    public var rows: Int {
        switch self {
        case .logits(let t): t.rows
        case .topK(_, _, _, let logTail): logTail.count
        }
    }

    /// Rows `range` only.
    public func rows(_ range: Range<Int>, backend: any Backend) -> TeacherDistribution {
        switch self {
        case .logits(let t):
            return .logits(range == 0..<t.rows ? t : backend.gatherRows(t, Array(range)))
        case let .topK(k, ids, logprobs, logTail):
            let entries = range.lowerBound * k..<range.upperBound * k
            return .topK(k: k, ids: Array(ids[entries]), logprobs: Array(logprobs[entries]), logTail: Array(logTail[range]))
        }
    }
}

/// Sums over the rows of a pass.
public struct DistillationTerms: Sendable, Equatable {
    public var crossEntropy: Double = 0
    public var divergence: Double = 0
    /// Rows where the student's most likely token is the teacher's.
    public var agreements = 0

    public init(crossEntropy: Double = 0, divergence: Double = 0, agreements: Int = 0) {
        (self.crossEntropy, self.divergence, self.agreements) = (crossEntropy, divergence, agreements)
    }

    public static func + (a: Self, b: Self) -> Self {
        Self(crossEntropy: a.crossEntropy + b.crossEntropy, divergence: a.divergence + b.divergence,
             agreements: a.agreements + b.agreements)
    }

    /// alpha * CE + (1 - alpha) * T² * D.
    public func total(_ loss: DistillationLoss) -> Double {
        loss.alpha * crossEntropy + (1 - loss.alpha) * loss.temperature * loss.temperature * divergence
    }
}

extension DistillationLoss {
    /// Row `r` of `logits` [rows, V] becomes scale * d(loss)/d(logits); returns its terms.
    /// `scratch` holds 3 V floats.
    func row(_ r: Int, of logits: Tensor, target: Int32, teacher: TeacherDistribution, scale: Float,
             scratch: UnsafeMutablePointer<Float>) -> DistillationTerms {
        let v = logits.columns
        let z = logits.f32 + r * v
        let t = Float(temperature)
        let (e1, p, q) = (scratch, scratch + v, scratch + 2 * v)
        var terms = DistillationTerms()

        // Cross-entropy on the label at temperature 1: e1 = softmax(z).
        var zMax = -Float.infinity, zArg = 0
        for j in 0..<v where z[j] > zMax { (zMax, zArg) = (z[j], j) }
        for j in 0..<v { e1[j] = z[j] }
        let z1 = afina_exp_shifted(e1, v, zMax)
        terms.crossEntropy = Double(logf(z1) - (z[Int(target)] - zMax))
        for j in 0..<v { e1[j] /= z1 }

        // Student at temperature T: p = exp(z/T - zMax/T), normalised below per bucket.
        for j in 0..<v { p[j] = z[j] / t }
        let pSum = Double(afina_exp_shifted(p, v, zMax / t))
        let logZp = Double(zMax / t) + log(pSum)           // log of the student's partition

        // h_b and D over buckets, then the gradient.
        var hSum = 0.0
        switch teacher {
        case .logits(let teacherLogits):
            let tl = teacherLogits.f32 + r * v
            var tMax = -Float.infinity, tArg = 0
            for j in 0..<v where tl[j] > tMax { (tMax, tArg) = (tl[j], j) }
            for j in 0..<v { q[j] = tl[j] / t }
            let qSum = Double(afina_exp_shifted(q, v, tMax / t))
            let logZq = Double(tMax / t) + log(qSum)
            terms.agreements = zArg == tArg ? 1 : 0
            for j in 0..<v {
                let lp = Double(z[j] / t) - logZp, lq = Double(tl[j] / t) - logZq
                let (d, h) = bucket(p: Double(p[j]) / pSum, lp: lp, q: Double(q[j]) / qSum, lq: lq)
                terms.divergence += d
                hSum += h
                q[j] = Float(h)                             // q now holds h_j
            }
            let invT = 1 / t, pTotal = Float(pSum)
            for j in 0..<v {
                let pj = p[j] / pTotal
                z[j] = scale * (Float(alpha) * (e1[j] - (j == Int(target) ? 1 : 0))
                                + Float(1 - alpha) * t * t * invT * (q[j] - pj * Float(hSum)))
            }
        case let .topK(k, ids, logprobs, logTail):
            // Tail mass summed over the tokens outside the top k (no cancellation).
            var topMass = [Double](repeating: 0, count: k)
            var best = 0
            for i in 0..<k {
                let id = Int(ids[r * k + i])
                topMass[i] = Double(p[id])
                if logprobs[r * k + i] > logprobs[r * k + best] { best = i }
            }
            for i in 0..<k { p[Int(ids[r * k + i])] = 0 }
            var tailSum = 0.0
            for j in 0..<v { tailSum += Double(p[j]) }
            terms.agreements = zArg == Int(ids[r * k + best]) ? 1 : 0
            var h = [Double](repeating: 0, count: k)
            for i in 0..<k {
                let lq = Double(logprobs[r * k + i])
                let (d, hi) = bucket(p: topMass[i] / pSum, lp: log(topMass[i] / pSum), q: exp(lq), lq: lq)
                terms.divergence += d
                (h[i], hSum) = (hi, hSum + hi)
            }
            let lqTail = Double(logTail[r])
            let (dTail, hTail) = bucket(p: tailSum / pSum, lp: log(tailSum / pSum), q: exp(lqTail), lq: lqTail)
            terms.divergence += dTail
            hSum += hTail
            // Tail tokens: h_tail * p_j / P_tail = h_tail * p[j] / tailSum.
            let invT = 1 / t, mix = Float(1 - alpha) * t * t * invT
            let tailFactor = tailSum > 0 ? Float(hTail / tailSum) : 0
            for j in 0..<v {
                let pj = Float(Double(p[j]) / pSum)
                z[j] = scale * (Float(alpha) * (e1[j] - (j == Int(target) ? 1 : 0))
                                + mix * (p[j] * tailFactor - pj * Float(hSum)))
            }
            for i in 0..<k {
                let id = Int(ids[r * k + i])
                let pj = Float(topMass[i] / pSum)
                z[id] = scale * (Float(alpha) * (e1[id] - (id == Int(target) ? 1 : 0))
                                 + mix * (Float(h[i]) - pj * Float(hSum)))
            }
        }
        return terms
    }

    /// One bucket's share of D and h_b = P_b dD/dP_b, from the masses of student and teacher
    /// and their logs (computed without underflow).
    private func bucket(p pb: Double, lp: Double, q qb: Double, lq: Double) -> (d: Double, h: Double) {
        switch divergence {
        case .forwardKL:
            return (qb > 0 ? qb * (lq - lp) : 0, -qb)
        case .reverseKL:
            return pb > 0 ? (pb * (lp - lq), pb * (lp - lq + 1)) : (0, 0)
        case .jensenShannon(let beta):
            let m = beta * qb + (1 - beta) * pb
            guard m > 0 else { return (0, 0) }
            let lm = log(m)
            let d = (qb > 0 ? beta * qb * (lq - lm) : 0) + (pb > 0 ? (1 - beta) * pb * (lp - lm) : 0)
            return (d, pb > 0 ? (1 - beta) * pb * (lp - lm) : 0)
        }
    }
}
