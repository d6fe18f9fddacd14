#include "search/model/FeasibilityModel.h"

#include "search/model/GaussianProcess.h"
#include "search/model/Matern52.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dv {

namespace {

// Validity boundaries are usually sharper than the objective's trends, hence a shorter prior length
// scale than the GP's; the prior is weak and only steadies the fit with a handful of failures.
constexpr double kLengthPriorMean = -1.2039728043259361; // log 0.3
constexpr double kLengthPriorSd = 1.5;
constexpr double kStrengthPriorMean = 0.0; // log 1: one pseudo-observation
constexpr double kStrengthPriorSd = 1.5;

double logNormalPrior(double v, double mean, double sd, double& grad) {
    const double z = (v - mean) / sd;
    grad = -z / sd;
    return -0.5 * z * z;
}

} // namespace

double FeasibilityModel::negLooObjective(const Eigen::MatrixXd& X, const Eigen::VectorXd& success,
                                         const Eigen::VectorXd& weight,
                                         const Eigen::VectorXd& theta, Eigen::VectorXd& grad,
                                         double* loo) const {
    // theta = (log length scales..., log prior strength)
    const Eigen::Index d = X.cols();
    const Eigen::VectorXd invLength = (-theta.head(d).array()).exp();
    const double strength = std::exp(theta[d]);
    const matern52::Gram gram(X, invLength);
    Eigen::MatrixXd W = gram.values();
    W.diagonal().setZero(); // leave each point out of its own estimate

    const Eigen::VectorXd ws = weight.cwiseProduct(success);
    const Eigen::VectorXd wf = weight - ws;
    const Eigen::ArrayXd validMass = (W * ws).array() + strength * m_rate;
    const Eigen::ArrayXd invalidMass = (W * wf).array() + strength * (1.0 - m_rate);
    const Eigen::ArrayXd total = validMass + invalidMass;
    const Eigen::ArrayXd p = validMass / total;
    const Eigen::ArrayXd q = invalidMass / total; // 1 - p without cancellation
    const Eigen::ArrayXd s = success.array();
    const double looSum = (weight.array() * (s * p.log() + (1.0 - s) * q.log())).sum();
    if (loo)
        *loo = looSum;

    // d loo / d w_ij = c_i (s_i/p_i - (1-s_i)/q_i) * c_j (s_j - p_i) / total_i, chained through
    // d w_ij / d log l_k = (5/3)(1 + t) exp(-t) (z_ik - z_jk)^2.
    const Eigen::ArrayXd dp = weight.array() * (s / p - (1.0 - s) / q) / total;
    Eigen::MatrixXd M = -p.matrix() * weight.transpose(); // c_j (s_j - p_i)
    M.rowwise() += ws.transpose();
    M.array().colwise() *= dp;
    M.array() *= gram.derivativeFactor();
    M.diagonal().setZero();
    grad.resize(d + 1);
    grad.head(d) = gram.weightedSquaredDifferences(M);
    double logPrior = 0.0, gp = 0.0;
    for (Eigen::Index k = 0; k < d; ++k) {
        logPrior += logNormalPrior(theta[k], kLengthPriorMean, kLengthPriorSd, gp);
        grad[k] += gp;
    }
    // d p_i / d c = (r - p_i) / total_i
    grad[d] = strength * (dp * (m_rate - p)).sum();
    logPrior += logNormalPrior(theta[d], kStrengthPriorMean, kStrengthPriorSd, gp);
    grad[d] += gp;
    grad = -grad;
    const double value = -(looSum + logPrior);
    return std::isfinite(value) ? value : std::numeric_limits<double>::infinity();
}

void FeasibilityModel::fit(const Eigen::MatrixXd& X, const std::vector<bool>& valid,
                           std::mt19937_64& rng, const FeasibilityOptions& options) {
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    if (n == 0 || d == 0 || static_cast<Eigen::Index>(valid.size()) != n)
        throw std::invalid_argument("FeasibilityModel::fit: empty or mismatched input");
    if (!X.allFinite())
        throw std::invalid_argument("FeasibilityModel::fit: non-finite input");

    m_fitted = false;
    m_threads = options.threads;
    std::vector<int> successes, failures;
    for (Eigen::Index i = 0; i < n; ++i)
        (valid[static_cast<size_t>(i)] ? successes : failures).push_back(static_cast<int>(i));
    m_observations = static_cast<int>(n);
    m_failures = static_cast<int>(failures.size());
    // Laplace-smoothed overall success rate: the answer far from all data.
    const double rate =
        (static_cast<double>(successes.size()) + 1.0) / (static_cast<double>(n) + 2.0);
    m_rate = rate;

    if (failures.empty() || successes.empty()) {
        // Nothing to contrast: a kernel fit would only model the prior. No failure yet means "all
        // valid".
        m_isConstant = true;
        m_constant = failures.empty() ? 1.0 : rate;
        m_looLogLikelihood = 0.0;
        m_fitted = true;
        return;
    }

    // Failures (the rare, informative class) get up to half the budget, more if successes are
    // scarce; each kept point is weighted by the inverse of its class's sampling fraction so local
    // success rates stay unbiased.
    const size_t cap = static_cast<size_t>(std::max(options.maxPoints, 2));
    size_t keepFailures = failures.size();
    size_t keepSuccesses = successes.size();
    if (static_cast<size_t>(n) > cap) {
        std::shuffle(failures.begin(), failures.end(), rng);
        std::shuffle(successes.begin(), successes.end(), rng);
        keepSuccesses = std::min(successes.size(), cap - std::min(failures.size(), cap / 2));
        keepFailures = std::min(failures.size(), cap - keepSuccesses);
    }
    const double failureWeight =
        static_cast<double>(failures.size()) / static_cast<double>(keepFailures);
    const double successWeight =
        static_cast<double>(successes.size()) / static_cast<double>(keepSuccesses);
    const Eigen::Index k = static_cast<Eigen::Index>(keepFailures + keepSuccesses);
    Eigen::MatrixXd Xm(k, d);
    Eigen::VectorXd success(k), weight(k);
    for (size_t i = 0; i < keepFailures; ++i) {
        Xm.row(static_cast<Eigen::Index>(i)) = X.row(failures[i]);
        success[static_cast<Eigen::Index>(i)] = 0.0;
        weight[static_cast<Eigen::Index>(i)] = failureWeight;
    }
    for (size_t i = 0; i < keepSuccesses; ++i) {
        const Eigen::Index row = static_cast<Eigen::Index>(keepFailures + i);
        Xm.row(row) = X.row(successes[i]);
        success[row] = 1.0;
        weight[row] = successWeight;
    }

    const bool haveScales = m_lengthScales.size() == d;
    Eigen::VectorXd theta(d + 1);
    if (haveScales) {
        theta.head(d) = m_lengthScales.array().log();
        theta[d] = std::log(m_strength);
    }
    if (options.refitLengthScales || !haveScales) {
        Eigen::VectorXd lower(d + 1), upper(d + 1);
        lower << Eigen::VectorXd::Constant(d, std::log(kMinLengthScale)), std::log(kMinStrength);
        upper << Eigen::VectorXd::Constant(d, std::log(kMaxLengthScale)), std::log(kMaxStrength);
        const BoxObjective objective = [&](const Eigen::VectorXd& t, Eigen::VectorXd& g) {
            return negLooObjective(Xm, success, weight, t, g);
        };
        // Start from the prior mode and from the previous optimum; the LOO surface has few, broad
        // optima.
        std::vector<Eigen::VectorXd> starts;
        if (options.priorStart || !haveScales) {
            starts.emplace_back(d + 1);
            starts.back() << Eigen::VectorXd::Constant(d, kLengthPriorMean),
                std::log(std::clamp(options.priorStrength, kMinStrength, kMaxStrength));
        }
        if (haveScales)
            starts.push_back(theta);
        double best = std::numeric_limits<double>::infinity();
        for (Eigen::VectorXd& start : starts) {
            const double v = minimizeInBox(objective, start, lower, upper, options.maxIterations);
            if (v < best || !std::isfinite(best)) {
                best = v;
                theta = start;
            }
        }
    }
    if (options.refitLengthScales || !haveScales) {
        m_lengthScales = theta.head(d).array().exp();
        m_strength = std::exp(theta[d]);
    }
    Eigen::VectorXd grad;
    double looSum = 0.0;
    negLooObjective(Xm, success, weight, theta, grad, &looSum);
    m_looLogLikelihood = looSum / weight.sum();

    m_X = std::move(Xm);
    m_weights.resize(k, 2);
    m_weights.col(0) = weight.cwiseProduct(success);
    m_weights.col(1) = weight;
    m_isConstant = false;
    m_fitted = true;
}

void FeasibilityModel::setHyperParameters(const Eigen::VectorXd& lengthScales, double strength) {
    if (!lengthScales.allFinite() || (lengthScales.array() <= 0.0).any() || !std::isfinite(strength) ||
        !(strength > 0.0))
        throw std::invalid_argument("FeasibilityModel::setHyperParameters: non-positive or non-finite value");
    m_lengthScales = lengthScales;
    m_strength = strength;
}

Eigen::VectorXd FeasibilityModel::predict(const Eigen::MatrixXd& Xs) const {
    if (!m_fitted)
        throw std::logic_error("FeasibilityModel::predict: model not fitted");
    if (m_isConstant)
        return Eigen::VectorXd::Constant(Xs.rows(), m_constant);
    if (Xs.cols() != m_X.cols() || !Xs.allFinite())
        throw std::invalid_argument("FeasibilityModel::predict: dimension mismatch or non-finite");
    const Eigen::MatrixXd mass =
        matern52::crossProduct(Xs, m_X, m_lengthScales, 1.0, m_weights, m_threads);
    return ((mass.col(0).array() + m_strength * m_rate) / (mass.col(1).array() + m_strength))
        .matrix();
}

} // namespace dv
