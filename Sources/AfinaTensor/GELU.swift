// GELU (Hendrycks and Gimpel 2016) and its derivative, in both of PyTorch's forms:
// exact 0.5 x (1 + erf(x / √2)) and the tanh approximation
// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
import Foundation

enum GELU {
    static let sqrtTwoOverPi = (2 / Double.pi).squareRoot()
    static let cubic = 0.044715

    /// GELU of x, in double precision (the reference).
    static func value(_ x: Double, _ form: GELUApproximation) -> Double {
        switch form {
        case .none: 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .tanh: 0.5 * x * (1 + tanh(sqrtTwoOverPi * (x + cubic * x * x * x)))
        }
    }

    /// d GELU / dx, in double precision.
    static func derivative(_ x: Double, _ form: GELUApproximation) -> Double {
        switch form {
        case .none:
            // Φ(x) + x φ(x).
            return 0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
        case .tanh:
            let t = tanh(sqrtTwoOverPi * (x + cubic * x * x * x))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * sqrtTwoOverPi * (1 + 3 * cubic * x * x)
        }
    }
}
