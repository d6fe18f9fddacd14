#include "search/model/GaussianProcess.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "search/model/Matern52.h"

namespace dv {

namespace {

constexpr double kLog2Pi = 1.83787706640934548356;
constexpr int kPredictBlock = 256;

// Weak log-normal priors (means and standard deviations of the log parameters). They only matter
// with few points: they stop the marginal likelihood from collapsing a length scale or explaining
// everything as noise.
constexpr double kLengthPriorMean = -0.6931471805599453; // log 0.5: half the unit cube
constexpr double kLengthPriorSd = 1.5;
constexpr double kSignalPriorMean = 0.0; // targets are standardised
constexpr double kSignalPriorSd = 1.5;
// log 1e-3: repeated timings agree to a few percent, small against the spread of log(time).
constexpr double kNoisePriorMean = -6.907755278982137;
constexpr double kNoisePriorSd = 3.0;

double logPriorTerm(double v, double mean, double sd, double& grad) {
    const double z = (v - mean) / sd;
    grad = -z / sd;
    return -0.5 * z * z;
}

// Indices of the k smallest entries of y, in increasing order of y.
std::vector<int> bestIndices(const Eigen::VectorXd& y, int k) {
    std::vector<int> idx(static_cast<size_t>(y.size()));
    std::iota(idx.begin(), idx.end(), 0);
    k = std::min<int>(k, static_cast<int>(idx.size()));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                      [&](int a, int b) { return y[a] < y[b]; });
    idx.resize(static_cast<size_t>(k));
    return idx;
}

} // namespace

Eigen::MatrixXd GaussianProcess::maternKernel(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                                              const Eigen::VectorXd& lengthScales,
                                              double signalVariance) {
    return matern52::cross(A, B, lengthScales, signalVariance);
}

Eigen::MatrixXd GaussianProcess::maternKernelProduct(const Eigen::MatrixXd& A,
                                                     const Eigen::MatrixXd& B,
                                                     const Eigen::VectorXd& lengthScales,
                                                     double signalVariance,
                                                     const Eigen::MatrixXd& W, int threads) {
    return matern52::crossProduct(A, B, lengthScales, signalVariance, W, threads);
}

double GaussianProcess::negLogPosterior(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                        const Eigen::VectorXd& theta, Eigen::VectorXd& grad) const {
    const Eigen::Index n = X.rows();
    const Eigen::Index d = theta.size() - 2; // length-scale groups
    const Eigen::ArrayXd ls = columnLengthScales(theta, X.cols());
    const double s2 = std::exp(theta[d]);
    double noise = std::exp(theta[d + 1]);

    const matern52::Gram gram(X, ls.inverse().matrix());
    const Eigen::MatrixXd Kf = s2 * gram.values();

    Eigen::MatrixXd K = Kf;
    Eigen::LLT<Eigen::MatrixXd> llt;
    for (int attempt = 0;; ++attempt) {
        K.diagonal() = Kf.diagonal().array() + noise;
        llt.compute(K);
        if (llt.info() == Eigen::Success)
            break;
        if (attempt == 8)
            return std::numeric_limits<double>::infinity();
        noise += 1e-8 * s2 * std::pow(10.0, attempt);
    }
    const Eigen::VectorXd alpha = llt.solve(y);
    const double logDet = 2.0 * llt.matrixLLT().diagonal().array().log().sum();
    double lml = -0.5 * y.dot(alpha) - 0.5 * logDet - 0.5 * static_cast<double>(n) * kLog2Pi;

    // dLML/dtheta_j = 0.5 tr((alpha alpha^T - K^-1) dK/dtheta_j)
    Eigen::MatrixXd W = llt.solve(Eigen::MatrixXd::Identity(n, n));
    W = alpha * alpha.transpose() - W;
    grad.resize(d + 2);
    grad[d] = 0.5 * (W.array() * Kf.array()).sum();
    grad[d + 1] = 0.5 * noise * W.trace();
    // dk/dlog l_k = s2 (5/3)(1 + t) exp(-t) (dz_k)^2.
    const Eigen::MatrixXd M = (W.array() * s2 * gram.derivativeFactor()).matrix();
    const Eigen::VectorXd perColumn = 0.5 * gram.weightedSquaredDifferences(M);
    if (m_groups.empty()) {
        grad.head(d) = perColumn;
    } else {
        grad.head(d).setZero();
        for (Eigen::Index c = 0; c < perColumn.size(); ++c)
            grad[m_groups[static_cast<size_t>(c)]] += perColumn[c];
    }

    double logPrior = 0.0, gp = 0.0;
    for (Eigen::Index k = 0; k < d; ++k) {
        logPrior += logPriorTerm(theta[k], kLengthPriorMean, kLengthPriorSd, gp);
        grad[k] += gp;
    }
    logPrior += logPriorTerm(theta[d], kSignalPriorMean, kSignalPriorSd, gp);
    grad[d] += gp;
    logPrior += logPriorTerm(theta[d + 1], kNoisePriorMean, kNoisePriorSd, gp);
    grad[d + 1] += gp;

    grad = -grad;
    lml += logPrior;
    return std::isfinite(lml) ? -lml : std::numeric_limits<double>::infinity();
}

Eigen::ArrayXd GaussianProcess::columnLengthScales(const Eigen::VectorXd& theta,
                                                   Eigen::Index columns) const {
    if (m_groups.empty())
        return theta.head(columns).array().exp();
    Eigen::ArrayXd ls(columns);
    for (Eigen::Index c = 0; c < columns; ++c)
        ls[c] = std::exp(theta[m_groups[static_cast<size_t>(c)]]);
    return ls;
}

Eigen::VectorXd GaussianProcess::optimiseHyper(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                               std::mt19937_64& rng,
                                               const GpOptions& options) const {
    const Eigen::Index d = m_groupCount;
    Eigen::VectorXd lower(d + 2), upper(d + 2);
    lower.head(d).setConstant(std::log(kMinLengthScale));
    upper.head(d).setConstant(std::log(kMaxLengthScale));
    lower[d] = std::log(kMinSignal);
    upper[d] = std::log(kMaxSignal);
    lower[d + 1] = std::log(kMinNoise);
    upper[d + 1] = std::log(kMaxNoise);

    std::vector<Eigen::VectorXd> starts;
    if (m_theta.size() == d + 2) {
        starts.push_back(m_theta);
    } else {
        Eigen::VectorXd t(d + 2);
        t.head(d).setConstant(kLengthPriorMean);
        t[d] = 0.0;
        t[d + 1] = std::log(1e-3);
        starts.push_back(t);
    }
    std::uniform_real_distribution<double> uLength(std::log(0.05), std::log(2.0));
    std::uniform_real_distribution<double> uSignal(std::log(0.3), std::log(3.0));
    std::uniform_real_distribution<double> uNoise(std::log(1e-5), std::log(1e-1));
    for (int r = 0; r < options.restarts; ++r) {
        Eigen::VectorXd t(d + 2);
        for (Eigen::Index k = 0; k < d; ++k)
            t[k] = uLength(rng);
        t[d] = uSignal(rng);
        t[d + 1] = uNoise(rng);
        starts.push_back(t);
    }

    const BoxObjective objective = [&](const Eigen::VectorXd& theta, Eigen::VectorXd& grad) {
        return negLogPosterior(X, y, theta, grad);
    };
    // Starts are drawn before any thread runs, so the result does not depend on the thread count.
    std::vector<double> values(starts.size(), std::numeric_limits<double>::infinity());
    parallelFor(m_threads, static_cast<Eigen::Index>(starts.size()),
                [&](Eigen::Index begin, Eigen::Index end) {
                    for (Eigen::Index i = begin; i < end; ++i)
                        values[static_cast<size_t>(i)] =
                            minimizeInBox(objective, starts[static_cast<size_t>(i)], lower, upper,
                                          options.maxIterations);
                });
    size_t best = 0;
    for (size_t i = 1; i < values.size(); ++i)
        if (values[i] < values[best])
            best = i;
    return starts[best];
}

std::vector<int> GaussianProcess::varianceSubset(const Eigen::MatrixXd& Xs,
                                                 const Eigen::VectorXd& y, int r) const {
    // The best points carry the acquisition decision, so their neighbourhoods get exact variance;
    // the rest is spread by farthest-point sampling (in length-scale units) so that no region is
    // left wildly overestimated.
    const int n = static_cast<int>(Xs.rows());
    std::vector<int> chosen = bestIndices(y, r / 2);
    std::vector<char> taken(static_cast<size_t>(n), 0);
    Eigen::VectorXd minDist = Eigen::VectorXd::Constant(n, std::numeric_limits<double>::infinity());
    auto absorb = [&](int j) {
        taken[static_cast<size_t>(j)] = 1;
        minDist = minDist.cwiseMin((Xs.rowwise() - Xs.row(j)).rowwise().squaredNorm());
    };
    for (int j : chosen)
        absorb(j);
    while (static_cast<int>(chosen.size()) < r) {
        int far = -1;
        double farDist = -1.0;
        for (int i = 0; i < n; ++i) {
            if (!taken[static_cast<size_t>(i)] && minDist[i] > farDist) {
                farDist = minDist[i];
                far = i;
            }
        }
        chosen.push_back(far);
        absorb(far);
    }
    return chosen;
}

void GaussianProcess::factorise(const Eigen::MatrixXd& X, const Eigen::VectorXd& yStd,
                                int maxVariancePoints, bool leaveOneOut) {
    const int n = static_cast<int>(X.rows());
    m_centre = X.colwise().mean();
    const Eigen::MatrixXd Xs =
        (X.rowwise() - m_centre) * m_lengthScales.cwiseInverse().asDiagonal();
    const int r = std::clamp(maxVariancePoints, 1, n);

    // Put the variance subset first: the leading block of the full Cholesky factor is then its own
    // factor.
    std::vector<int> order;
    if (r < n) {
        order = varianceSubset(Xs, yStd, r);
        std::vector<char> inSubset(static_cast<size_t>(n), 0);
        for (int i : order)
            inSubset[static_cast<size_t>(i)] = 1;
        for (int i = 0; i < n; ++i)
            if (!inSubset[static_cast<size_t>(i)])
                order.push_back(i);
    } else {
        order.resize(static_cast<size_t>(n));
        std::iota(order.begin(), order.end(), 0);
    }
    m_Xs.resize(n, X.cols());
    Eigen::VectorXd yP(n);
    for (int i = 0; i < n; ++i) {
        m_Xs.row(i) = Xs.row(order[static_cast<size_t>(i)]);
        yP[i] = yStd[order[static_cast<size_t>(i)]];
    }
    m_XsNorm = m_Xs.rowwise().squaredNorm();
    findOneHotBlocks(X, order);

    const Eigen::MatrixXd Kf = matern52::crossScaled(m_Xs, m_XsNorm, m_Xs, m_XsNorm, m_signalVariance);
    Eigen::MatrixXd K = Kf;
    Eigen::LLT<Eigen::MatrixXd> llt;
    for (int attempt = 0;; ++attempt) {
        K.diagonal() = Kf.diagonal().array() + m_noiseVariance;
        llt.compute(K);
        if (llt.info() == Eigen::Success)
            break;
        if (attempt == 12)
            throw std::runtime_error("GaussianProcess: covariance matrix is not positive definite");
        m_noiseVariance += 1e-8 * m_signalVariance * std::pow(10.0, attempt);
    }
    m_alpha = llt.solve(yP);
    m_logMarginalLikelihood =
        -0.5 * yP.dot(m_alpha) - llt.matrixLLT().diagonal().array().log().sum() - 0.5 * n * kLog2Pi;
    // Leave-one-out: with K^-1 = L^-T L^-1, [K^-1]_ii is the squared norm of column i of L^-1; the
    // prediction of y_i from the others has mean y_i - alpha_i / [K^-1]_ii and variance 1 / [K^-1]_ii.
    if (leaveOneOut && n <= kMaxLooPoints) {
        Eigen::MatrixXd Linv = Eigen::MatrixXd::Identity(n, n);
        llt.matrixL().solveInPlace(Linv);
        const Eigen::ArrayXd inverseDiagonal = Linv.colwise().squaredNorm().transpose().array();
        const Eigen::ArrayXd residual = m_alpha.array() / inverseDiagonal;
        const Eigen::ArrayXd terms = 0.5 * inverseDiagonal.log() - 0.5 * residual.square() * inverseDiagonal - 0.5 * kLog2Pi;
        m_looTerms.resize(n);
        for (int i = 0; i < n; ++i)
            m_looTerms[order[static_cast<size_t>(i)]] = terms[i];
    } else {
        m_looTerms.resize(0);
    }
    m_varianceCount = r;
    m_varianceL = llt.matrixLLT().topLeftCorner(r, r).triangularView<Eigen::Lower>();
}

double looAdvantage(const GaussianProcess& a, const GaussianProcess& b) {
    const Eigen::VectorXd& ta = a.looLogPredictiveTerms();
    const Eigen::VectorXd& tb = b.looLogPredictiveTerms();
    if (ta.size() < 2 || ta.size() != tb.size() || !ta.allFinite() || !tb.allFinite())
        return std::numeric_limits<double>::quiet_NaN();
    const Eigen::ArrayXd d = (ta - tb).array();
    const double n = static_cast<double>(d.size());
    const double se = std::sqrt(n * (d - d.mean()).square().sum() / (n - 1));
    if (se <= 0)
        return d.sum() > 0 ? std::numeric_limits<double>::infinity()
                           : (d.sum() < 0 ? -std::numeric_limits<double>::infinity() : 0.0);
    return d.sum() / se;
}

void GaussianProcess::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::mt19937_64& rng,
                          const GpOptions& options) {
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    if (n == 0 || d == 0 || y.size() != n)
        throw std::invalid_argument("GaussianProcess::fit: empty or mismatched X and y");
    if (!X.allFinite() || !y.allFinite())
        throw std::invalid_argument("GaussianProcess::fit: non-finite input");

    m_fitted = false;
    m_threads = options.threads > 0 ? options.threads : defaultThreads();
    m_yMean = y.mean();
    const double var =
        n > 1 ? (y.array() - m_yMean).square().sum() / static_cast<double>(n - 1) : 0.0;
    // A constant target carries no scale; keep unit scale so predictions stay in sensible units.
    m_yScale = var > 1e-24 * std::max(1.0, m_yMean * m_yMean) ? std::sqrt(var) : 1.0;
    const Eigen::VectorXd yStd = (y.array() - m_yMean) / m_yScale;

    m_groups = options.lengthScaleGroups;
    m_groupCount = static_cast<int>(d);
    if (!m_groups.empty()) {
        if (static_cast<Eigen::Index>(m_groups.size()) != d)
            throw std::invalid_argument("GaussianProcess::fit: lengthScaleGroups does not match the columns");
        m_groupCount = *std::max_element(m_groups.begin(), m_groups.end()) + 1;
        std::vector<char> seen(static_cast<size_t>(m_groupCount), 0);
        for (int g : m_groups) {
            if (g < 0)
                throw std::invalid_argument("GaussianProcess::fit: negative length-scale group");
            seen[static_cast<size_t>(g)] = 1;
        }
        if (std::find(seen.begin(), seen.end(), 0) != seen.end())
            throw std::invalid_argument("GaussianProcess::fit: an empty length-scale group");
    }
    const Eigen::Index g = m_groupCount;
    if (m_theta.size() != g + 2)
        m_theta.resize(0); // a previous fit in another space is no warm start
    const bool haveHyper = m_theta.size() == g + 2;
    if ((options.refitHyper || !haveHyper) && n >= 3) {
        if (n > options.maxHyperPoints && options.maxHyperPoints >= 3) {
            // The best quarter keeps the length scales honest where the optimiser will look; the
            // random rest keeps the global picture.
            const int h = options.maxHyperPoints;
            std::vector<int> idx = bestIndices(yStd, h / 4);
            std::vector<char> taken(static_cast<size_t>(n), 0);
            for (int i : idx)
                taken[static_cast<size_t>(i)] = 1;
            std::vector<int> rest;
            for (int i = 0; i < n; ++i)
                if (!taken[static_cast<size_t>(i)])
                    rest.push_back(i);
            std::shuffle(rest.begin(), rest.end(), rng);
            rest.resize(static_cast<size_t>(h) - idx.size());
            idx.insert(idx.end(), rest.begin(), rest.end());
            Eigen::MatrixXd Xh(h, d);
            Eigen::VectorXd yh(h);
            for (int i = 0; i < h; ++i) {
                Xh.row(i) = X.row(idx[static_cast<size_t>(i)]);
                yh[i] = yStd[idx[static_cast<size_t>(i)]];
            }
            m_theta = optimiseHyper(Xh, yh, rng, options);
        } else {
            m_theta = optimiseHyper(X, yStd, rng, options);
        }
    } else if (!haveHyper) {
        m_theta.resize(g + 2);
        m_theta.head(g).setConstant(kLengthPriorMean);
        m_theta[g] = 0.0;
        m_theta[g + 1] = std::log(1e-3);
    }
    m_lengthScales = columnLengthScales(m_theta, d).matrix();
    m_signalVariance = std::exp(m_theta[g]);
    m_noiseVariance = std::exp(m_theta[g + 1]);

    factorise(X, yStd, options.maxVariancePoints, options.leaveOneOut);
    m_fitted = true;
}

void GaussianProcess::findOneHotBlocks(const Eigen::MatrixXd& X, const std::vector<int>& order) {
    m_blocks.clear();
    m_denseColumns.clear();
    const Eigen::Index d = X.cols();
    std::vector<char> inBlock(static_cast<size_t>(d), 0);
    for (int g = 0; g < (m_groups.empty() ? 0 : m_groupCount); ++g) {
        OneHotBlock block;
        for (Eigen::Index c = 0; c < d; ++c)
            if (m_groups[static_cast<size_t>(c)] == g)
                block.columns.push_back(c);
        if (block.columns.size() < 3)
            continue;
        bool oneHot = true;
        for (Eigen::Index i = 0; i < X.rows() && oneHot; ++i) {
            int nonzero = 0;
            for (Eigen::Index c : block.columns) {
                const double v = X(i, c);
                if (v == 0.0)
                    continue;
                if (++nonzero > 1 || !(v > 0.0) || (block.value != 0.0 && v != block.value))
                    oneHot = false;
                block.value = v;
            }
            oneHot = oneHot && nonzero == 1;
        }
        if (!oneHot)
            continue;
        const double l = m_lengthScales[block.columns.front()];
        block.weight = (block.value / l) * (block.value / l);
        for (Eigen::Index c : block.columns)
            inBlock[static_cast<size_t>(c)] = 1;
        m_blocks.push_back(std::move(block));
    }
    if (m_blocks.empty())
        return;
    for (Eigen::Index c = 0; c < d; ++c)
        if (!inBlock[static_cast<size_t>(c)])
            m_denseColumns.push_back(c);
    const Eigen::Index n = X.rows();
    m_XsDense = m_Xs(Eigen::all, m_denseColumns);
    double weights = 0;
    for (const OneHotBlock& b : m_blocks)
        weights += b.weight;
    m_XsDenseNorm = (m_XsDense.rowwise().squaredNorm().array() + weights).matrix();
    m_hot.resize(n, static_cast<Eigen::Index>(m_blocks.size()));
    for (Eigen::Index i = 0; i < n; ++i)
        for (size_t b = 0; b < m_blocks.size(); ++b)
            for (size_t k = 0; k < m_blocks[b].columns.size(); ++k)
                if (X(order[static_cast<size_t>(i)], m_blocks[b].columns[k]) != 0.0)
                    m_hot(i, static_cast<Eigen::Index>(b)) = static_cast<int>(k);
    m_hotTerms.clear();
    for (size_t b = 0; b < m_blocks.size(); ++b) {
        Eigen::MatrixXd T = Eigen::MatrixXd::Zero(n, static_cast<Eigen::Index>(m_blocks[b].columns.size()));
        for (Eigen::Index i = 0; i < n; ++i)
            T(i, m_hot(i, static_cast<Eigen::Index>(b))) = -2.0 * m_blocks[b].weight;
        m_hotTerms.push_back(std::move(T));
    }
}

Eigen::VectorXd GaussianProcess::predictMean(const Eigen::MatrixXd& Xs) const {
    Eigen::VectorXd mean;
    predictImpl(Xs, mean, nullptr);
    return mean;
}

void GaussianProcess::predict(const Eigen::MatrixXd& Xs, Eigen::VectorXd& mean,
                              Eigen::VectorXd& variance) const {
    predictImpl(Xs, mean, &variance);
}

void GaussianProcess::predictImpl(const Eigen::MatrixXd& Xs, Eigen::VectorXd& mean,
                                  Eigen::VectorXd* variance) const {
    if (!m_fitted)
        throw std::logic_error("GaussianProcess::predict: model not fitted");
    if (Xs.cols() != m_Xs.cols())
        throw std::invalid_argument("GaussianProcess::predict: dimension mismatch");
    // The SIMD kernel maps NaN distances to zero, so a bad candidate would get a plausible answer.
    if (!Xs.allFinite())
        throw std::invalid_argument("GaussianProcess::predict: non-finite input");
    const Eigen::Index m = Xs.rows();
    const Eigen::Index n = m_Xs.rows();
    mean.resize(m);
    if (variance)
        variance->resize(m);
    const Eigen::VectorXd inv = m_lengthScales.cwiseInverse();
    const double scale2 = m_yScale * m_yScale;
    const double floor = 1e-12 * m_signalVariance;

    // Rows [begin, end) in blocks small enough for the cache; buffers are reused because a fresh
    // multi-megabyte allocation per block costs more in page faults than the arithmetic.
    // The one-hot blocks take the fast path only if the candidates are one-hot in them too.
    Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic> hot;
    bool blocks = !m_blocks.empty();
    if (blocks) {
        hot.resize(m, static_cast<Eigen::Index>(m_blocks.size()));
        for (size_t bl = 0; bl < m_blocks.size() && blocks; ++bl) {
            const OneHotBlock& block = m_blocks[bl];
            for (Eigen::Index i = 0; i < m && blocks; ++i) {
                int found = -1;
                for (size_t k = 0; k < block.columns.size(); ++k) {
                    const double v = Xs(i, block.columns[k]);
                    if (v == 0.0)
                        continue;
                    if (found >= 0 || v != block.value)
                        blocks = false;
                    found = static_cast<int>(k);
                }
                blocks = blocks && found >= 0;
                hot(i, static_cast<Eigen::Index>(bl)) = found;
            }
        }
    }
    Eigen::VectorXd invDense, centreDense;
    if (blocks) {
        invDense = inv(m_denseColumns);
        centreDense = m_centre(m_denseColumns).transpose();
    }

    auto work = [&](Eigen::Index begin, Eigen::Index end) {
        Eigen::MatrixXd A, K, Kt, V;
        Eigen::VectorXd aNorm;
        for (Eigen::Index start = begin; start < end; start += kPredictBlock) {
            const Eigen::Index b = std::min<Eigen::Index>(kPredictBlock, end - start);
            if (blocks) {
                // r^2 = dense part + sum over blocks of weight * [hot columns differ]; the blocks'
                // squared norms are their weights, and the cross term counts the agreements. Built
                // transposed (training rows down, candidates across) so that each candidate adds one
                // contiguous column of its hot value's terms per block.
                A.noalias() = (Xs.middleRows(start, b)(Eigen::all, m_denseColumns).rowwise() -
                               centreDense.transpose()) *
                              invDense.asDiagonal();
                double weights = 0;
                for (const OneHotBlock& block : m_blocks)
                    weights += block.weight;
                aNorm = (A.rowwise().squaredNorm().array() + weights).matrix();
                Kt.resize(n, b);
                Kt.noalias() = -2.0 * m_XsDense * A.transpose();
                for (Eigen::Index i = 0; i < b; ++i) {
                    for (size_t bl = 0; bl < m_blocks.size(); ++bl)
                        Kt.col(i) += m_hotTerms[bl].col(hot(start + i, static_cast<Eigen::Index>(bl)));
                    matern52::column(Kt.col(i).data(), m_XsDenseNorm.data(), aNorm[i], n, m_signalVariance);
                }
                mean.segment(start, b).noalias() = Kt.transpose() * m_alpha;
                if (!variance)
                    continue;
                V = Kt.topRows(m_varianceCount);
                m_varianceL.triangularView<Eigen::Lower>().solveInPlace(V);
                variance->segment(start, b) =
                    ((m_signalVariance - V.colwise().squaredNorm().transpose().array()).max(floor) *
                     scale2)
                        .matrix();
                continue;
            } else {
                A.noalias() = (Xs.middleRows(start, b).rowwise() - m_centre) * inv.asDiagonal();
                aNorm = A.rowwise().squaredNorm();
                K.resize(b, n);
                K.noalias() = -2.0 * A * m_Xs.transpose();
                for (Eigen::Index j = 0; j < n; ++j)
                    matern52::column(K.col(j).data(), aNorm.data(), m_XsNorm[j], b, m_signalVariance);
            }
            mean.segment(start, b).noalias() = K * m_alpha;
            if (!variance)
                continue;
            // One triangular solve for the whole block: V = L^-1 Ks^T, var = s2 - |V_j|^2.
            V = K.leftCols(m_varianceCount).transpose();
            m_varianceL.triangularView<Eigen::Lower>().solveInPlace(V);
            variance->segment(start, b) =
                ((m_signalVariance - V.colwise().squaredNorm().transpose().array()).max(floor) *
                 scale2)
                    .matrix();
        }
    };
    const double flops = static_cast<double>(m) * static_cast<double>(n) * (variance ? 2.0 : 1.0);
    const int threads = static_cast<int>(std::min<Eigen::Index>(
        flops > 2e5 ? m_threads : 1, (m + kPredictBlock - 1) / kPredictBlock));
    parallelFor(threads, m, work);
    mean = (mean.array() * m_yScale + m_yMean).matrix();
}

} // namespace dv
