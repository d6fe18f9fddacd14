#pragma once

#include <Eigen/Dense>
#include <random>
#include <vector>

namespace dv {

/// Options for FeasibilityModel::fit.
struct FeasibilityOptions {
    /// Starting value of the Beta prior's strength (pseudo-observations, centred on the overall
    /// success rate, which is what the model answers far from every observation). Refined by the
    /// leave-one-out fit.
    double priorStrength = 1.0;
    /// The model conditions on at most this many points (failures get up to half, successes the
    /// rest), reweighted so that the class balance of the full data is kept. Bounds the cost of fit
    /// and predict.
    int maxPoints = 256;
    /// L-BFGS iterations of the fit of length scales and prior strength.
    int maxIterations = 50;
    /// false: keep the previous length scales and prior strength (fitted anyway if there are none
    /// yet, or the dimension changed).
    bool refitLengthScales = true;
    /// Also start the length-scale search from the prior mode, not only from the previous optimum
    /// (when there is one). A warm start alone halves the cost of a refit once data is plentiful.
    bool priorStart = true;
    /// Threads for predict(); 0: one per core.
    int threads = 0;
};

/// Probability that a configuration (encoded in [0,1]^d like the GP inputs) is valid, i.e. compiles
/// and runs, learnt from observed successes and failures. It is a kernel-smoothed Beta-Bernoulli
/// estimate:
///   p(x) = (a + sum_i w_i(x) s_i) / (a + b + sum_i w_i(x)),  w_i(x) = Matern 5/2 (x, x_i),
/// with a = c r, b = c (1 - r) for the overall success rate r. The ARD length scales and the prior
/// strength c maximise the leave-one-out log-likelihood of the observed outcomes, so dimensions
/// that do not affect validity are smoothed over. Failures usually fill a region (e.g. tiles whose
/// shared memory exceeds the limit), which this recovers without being told the rule. With no
/// failure observed it returns 1 everywhere.
class FeasibilityModel {
public:
    /// Fits to X (n x d) and valid[i] (true = compiled and ran). Throws std::invalid_argument on
    /// bad input.
    void fit(const Eigen::MatrixXd& X, const std::vector<bool>& valid, std::mt19937_64& rng,
             const FeasibilityOptions& options = {});

    /// p(valid) in (0, 1] for each row of Xs (m x d). Throws std::logic_error if not fitted,
    /// std::invalid_argument on a dimension mismatch or non-finite input.
    Eigen::VectorXd predict(const Eigen::MatrixXd& Xs) const;

    /// ARD length scales of the smoothing kernel (empty until a fit saw both outcomes).
    const Eigen::VectorXd& lengthScales() const { return m_lengthScales; }
    /// Strength c of the Beta prior, in pseudo-observations.
    double priorStrength() const { return m_strength; }
    /// Sets the length scales and prior strength that the next fit keeps (refitLengthScales off) or
    /// starts from, e.g. to resume a search. Non-positive or non-finite values throw
    /// std::invalid_argument.
    void setHyperParameters(const Eigen::VectorXd& lengthScales, double strength);
    /// Leave-one-out mean log-likelihood of the outcomes at the last fit (0 when trivially
    /// constant).
    double looLogLikelihood() const { return m_looLogLikelihood; }
    int failureCount() const { return m_failures; }
    int observationCount() const { return m_observations; }
    bool isFitted() const { return m_fitted; }

    static constexpr double kMinLengthScale = 0.02;
    static constexpr double kMaxLengthScale = 10.0;
    static constexpr double kMinStrength = 0.02;
    static constexpr double kMaxStrength = 50.0;

private:
    double negLooObjective(const Eigen::MatrixXd& X, const Eigen::VectorXd& success,
                           const Eigen::VectorXd& weight, const Eigen::VectorXd& theta,
                           Eigen::VectorXd& grad, double* loo = nullptr) const;

    Eigen::MatrixXd m_X;       // model points
    Eigen::MatrixXd m_weights; // column 0: weight * success, column 1: weight
    Eigen::VectorXd m_lengthScales;
    double m_rate = 1.0;     // overall (smoothed) success rate r
    double m_strength = 1.0; // prior strength c
    double m_constant = 1.0; // answer while all outcomes agree
    bool m_isConstant = true;
    double m_looLogLikelihood = 0.0;
    int m_failures = 0;
    int m_observations = 0;
    int m_threads = 0;
    bool m_fitted = false;
};

} // namespace dv
