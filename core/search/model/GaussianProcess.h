#pragma once

#include "search/model/BoxMinimizer.h"

#include <Eigen/Dense>
#include <functional>
#include <limits>
#include <random>
#include <vector>

namespace dv {

/// Options for GaussianProcess::fit.
struct GpOptions {
    /// Random restarts of the hyper-parameter search (the previous optimum, if any, is tried in
    /// addition).
    int restarts = 3;
    /// L-BFGS iterations per start.
    int maxIterations = 60;
    /// false: keep the previous hyper-parameters and only refactorise (fitted anyway if there are
    /// none yet).
    bool refitHyper = true;
    /// Hyper-parameters are fitted on a subsample of at most this many points (the best quarter
    /// plus a random rest); the final model always conditions on all points.
    int maxHyperPoints = 128;
    /// The predictive variance conditions on at most this many training points (the best half plus
    /// a space-filling rest). Above that the variance is an upper bound of the exact one (never
    /// overconfident); the mean is always exact. Cost per candidate grows with its square.
    int maxVariancePoints = 64;
    /// Worker threads for prediction and for the restarts of the hyper-parameter search; 0: one per
    /// core.
    int threads = 0;
    /// Length-scale groups: the group (0..G-1) of each input column; the columns of a group share
    /// one length scale (e.g. the one-hot columns of one parameter). Empty: a length scale per
    /// column.
    std::vector<int> lengthScaleGroups;
    /// Also compute the leave-one-out predictive densities (looLogPredictive()) of the fit, at
    /// O(n^3) extra cost; at most kMaxLooPoints points.
    bool leaveOneOut = false;
};

/// Gaussian-process regression surrogate (Matern 5/2, ARD length scales, Gaussian noise) for
/// Bayesian optimisation over configurations encoded in [0,1]^d. Targets are standardised
/// internally; hyper-parameters are the MAP estimate under weak log-normal priors, found by
/// multi-start L-BFGS on the log marginal likelihood.
class GaussianProcess {
public:
    /// Fits the model to X (n x d, columns scaled to [0,1]) and y (n targets, e.g. log(time)).
    /// Throws std::invalid_argument on empty, mismatched or non-finite input.
    void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::mt19937_64& rng,
             const GpOptions& options = {});

    /// Posterior mean and latent-function variance (noise excluded) of m points (m x d), in the
    /// caller's units. Throws std::logic_error if not fitted, std::invalid_argument on a dimension
    /// mismatch or non-finite input.
    void predict(const Eigen::MatrixXd& Xs, Eigen::VectorXd& mean, Eigen::VectorXd& variance) const;

    /// Posterior mean only (cheaper than predict()).
    Eigen::VectorXd predictMean(const Eigen::MatrixXd& Xs) const;

    /// Log marginal likelihood of the standardised targets under the current hyper-parameters (no
    /// prior).
    double logMarginalLikelihood() const { return m_logMarginalLikelihood; }

    /// Leave-one-out log predictive density of the standardised targets, summed over the training
    /// points (Rasmussen & Williams, eq. 5.10-5.12): how well the model predicts each point from all
    /// the others, under the fitted hyper-parameters. Computed by fits with GpOptions::leaveOneOut
    /// of at most kMaxLooPoints points; NaN otherwise.
    double looLogPredictive() const {
        return m_looTerms.size() > 0 ? m_looTerms.sum() : std::numeric_limits<double>::quiet_NaN();
    }
    /// The terms of looLogPredictive(), one per training point in the order of fit()'s X (empty
    /// when it is NaN).
    const Eigen::VectorXd& looLogPredictiveTerms() const { return m_looTerms; }
    static constexpr int kMaxLooPoints = 400;

    /// ARD length scales, one per input column, in the [0,1] input units.
    const Eigen::VectorXd& lengthScales() const { return m_lengthScales; }
    /// Signal variance, in standardised target units.
    double signalVariance() const { return m_signalVariance; }
    /// Noise variance, in standardised target units (includes any jitter that was needed).
    double noiseVariance() const { return m_noiseVariance; }
    /// Log hyper-parameters (log length scales, one per length-scale group..., log signal variance,
    /// log noise variance) of the last fit: the warm start of the next one. Empty before any fit.
    const Eigen::VectorXd& hyperParameters() const { return m_theta; }
    /// Sets the warm start (and, with refitHyper off, the hyper-parameters) of the next fit, e.g.
    /// to resume a search; a vector of the wrong size for the next fit's data is ignored there.
    void setHyperParameters(const Eigen::VectorXd& theta) { m_theta = theta; }
    /// Number of training points the model conditions on.
    int size() const { return static_cast<int>(m_Xs.rows()); }
    bool isFitted() const { return m_fitted; }

    /// Matern 5/2 cross-covariance k(A_i, B_j) = s2 (1 + t + t^2/3) exp(-t),
    /// t = sqrt(5) |(A_i - B_j) / l|.
    static Eigen::MatrixXd maternKernel(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                                        const Eigen::VectorXd& lengthScales, double signalVariance);

    /// K(A, B) * W for many rows of A without forming K (blocked, on `threads` threads; 0: one per
    /// core).
    static Eigen::MatrixXd maternKernelProduct(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                                               const Eigen::VectorXd& lengthScales,
                                               double signalVariance, const Eigen::MatrixXd& W,
                                               int threads = 0);

    /// Bounds of the hyper-parameters, enforced in log space.
    static constexpr double kMinLengthScale = 0.01;
    static constexpr double kMaxLengthScale = 10.0;
    static constexpr double kMinNoise = 1e-6;
    static constexpr double kMaxNoise = 1.0;
    static constexpr double kMinSignal = 0.05;
    static constexpr double kMaxSignal = 20.0;

private:
    double negLogPosterior(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                           const Eigen::VectorXd& theta, Eigen::VectorXd& grad) const;
    Eigen::VectorXd optimiseHyper(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                  std::mt19937_64& rng, const GpOptions& options) const;
    /// Per-column length scales from log hyper-parameters (through m_groups).
    Eigen::ArrayXd columnLengthScales(const Eigen::VectorXd& theta, Eigen::Index columns) const;
    std::vector<int> varianceSubset(const Eigen::MatrixXd& Xs, const Eigen::VectorXd& y,
                                    int r) const;
    void factorise(const Eigen::MatrixXd& X, const Eigen::VectorXd& yStd, int maxVariancePoints,
                   bool leaveOneOut);
    void predictImpl(const Eigen::MatrixXd& Xs, Eigen::VectorXd& mean,
                     Eigen::VectorXd* variance) const;

    // Mean training input, subtracted before scaling.
    Eigen::RowVectorXd m_centre;
    // Centred training inputs divided by the length scales, the variance subset first.
    Eigen::MatrixXd m_Xs;
    Eigen::VectorXd m_XsNorm; // squared row norms of m_Xs
    // One-hot blocks (a length-scale group of at least three columns in which every training row has
    // exactly one nonzero, the same value in every row): prediction compares which column is hot
    // instead of multiplying the whole block. Empty: every column goes through the product.
    struct OneHotBlock {
        std::vector<Eigen::Index> columns;
        double value = 0;  // the nonzero, in input units
        double weight = 0; // (value / length scale)^2
    };
    std::vector<OneHotBlock> m_blocks;
    std::vector<Eigen::Index> m_denseColumns;  // the columns in no block
    Eigen::MatrixXd m_XsDense;                 // m_Xs restricted to them
    Eigen::VectorXd m_XsDenseNorm;             // their squared row norms plus the sum of the block weights
    Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic> m_hot; // n x blocks: the hot column's position
    // Per block, n x columns: -2 * weight where training row j is hot in that column, else 0 (the
    // block's share of -2 a.b for a candidate hot in that column).
    std::vector<Eigen::MatrixXd> m_hotTerms;
    void findOneHotBlocks(const Eigen::MatrixXd& X, const std::vector<int>& order);
    Eigen::VectorXd m_alpha;  // K^-1 y (standardised), same row order as m_Xs
    // Lower Cholesky factor of K over the first m_varianceCount rows of m_Xs.
    Eigen::MatrixXd m_varianceL;
    int m_varianceCount = 0;
    // Log hyper-parameters (length scales..., signal, noise) of the last fit: the next warm start.
    Eigen::VectorXd m_theta;
    Eigen::VectorXd m_lengthScales;
    std::vector<int> m_groups; // length-scale group of each column (empty: one per column)
    int m_groupCount = 0;
    double m_signalVariance = 1.0;
    double m_noiseVariance = 1e-3;
    double m_yMean = 0.0;
    double m_yScale = 1.0;
    double m_logMarginalLikelihood = 0.0;
    Eigen::VectorXd m_looTerms; // leave-one-out log densities (empty: not computed)
    int m_threads = 1;
    bool m_fitted = false;
};

/// How much better `a` predicts its training targets than `b` predicts the same targets, by
/// leave-one-out: the summed difference of their pointwise log predictive densities
/// (looLogPredictiveTerms(), both fitted with GpOptions::leaveOneOut to the same y) divided by its
/// standard error, sqrt(n) times the standard deviation of the pointwise differences (Vehtari,
/// Gelman and Gabry 2017). Positive where `a` is better; above 2, clearly so. NaN when either model
/// has no leave-one-out terms or they differ in number.
double looAdvantage(const GaussianProcess& a, const GaussianProcess& b);

} // namespace dv
