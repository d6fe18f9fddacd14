#include "GaussianProcess.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dv {

namespace {

constexpr double kSqrt5 = 2.23606797749978969641;
constexpr double kLog2Pi = 1.83787706640934548356;
constexpr int kPredictBlock = 1024;

// Weak log-normal priors (means and standard deviations of the log parameters). They only matter with few
// points: they stop the marginal likelihood from collapsing a length scale or explaining everything as noise.
constexpr double kLengthPriorMean = -0.6931471805599453; // log 0.5: half the unit cube
constexpr double kLengthPriorSd = 1.5;
constexpr double kSignalPriorMean = 0.0;                  // targets are standardised
constexpr double kSignalPriorSd = 1.5;
constexpr double kNoisePriorMean = -6.907755278982137;    // log 1e-3: timings are repeatable to a few percent
constexpr double kNoisePriorSd = 3.0;

double logPriorTerm(double v, double mean, double sd, double& grad)
{
    const double z = (v - mean) / sd;
    grad = -z / sd;
    return -0.5 * z * z;
}

// exp(-t) for 0 <= t <= 700 as 2^k * exp(r), |r| <= ln2/2, Taylor to degree 10 (relative error < 3e-13).
// Eigen's SSE2 exp for doubles is slower than scalar std::exp, and this is the hot loop of prediction.
#if defined(__SSE2__)
inline __m128d expNegSse2(__m128d t)
{
    const __m128d shifter = _mm_set1_pd(6755399441055744.0); // 1.5 * 2^52: rounds to an integer in the low bits
    const __m128d x = _mm_sub_pd(_mm_setzero_pd(), t);
    __m128d kd = _mm_add_pd(_mm_mul_pd(x, _mm_set1_pd(1.4426950408889634)), shifter);
    const __m128i kBits = _mm_castpd_si128(kd);
    kd = _mm_sub_pd(kd, shifter);
    const __m128d r = _mm_sub_pd(_mm_sub_pd(x, _mm_mul_pd(kd, _mm_set1_pd(0.6931471803691238))),
                                 _mm_mul_pd(kd, _mm_set1_pd(1.9082149292705877e-10)));
    static constexpr double kCoeff[] = {1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0,
                                        1.0 / 120.0,     1.0 / 24.0,     1.0 / 6.0,     0.5,          1.0, 1.0};
    __m128d p = _mm_set1_pd(kCoeff[0]);
    for (int c = 1; c < 11; ++c)
        p = _mm_add_pd(_mm_mul_pd(p, r), _mm_set1_pd(kCoeff[c]));
    // 2^k from the low bits of the shifted value: (k + 1023) << 52 is the IEEE pattern of 2^k.
    const __m128i scale = _mm_slli_epi64(_mm_add_epi64(kBits, _mm_set1_epi64x(1023)), 52);
    return _mm_mul_pd(p, _mm_castsi128_pd(scale));
}
#endif

// One column of a cross-kernel block: on input -2 a_i.b (from the GEMM), on output s2 * matern52 with
// r^2 = |a_i|^2 + |b|^2 - 2 a_i.b. The kernel is flat at r = 0, so rounding in r^2 there is harmless.
void maternColumn(double* v, const double* aNorm, double bNorm, Eigen::Index rows, double s2)
{
    Eigen::Index i = 0;
#if defined(__SSE2__)
    const __m128d vb = _mm_set1_pd(bNorm), vs2 = _mm_set1_pd(s2), one = _mm_set1_pd(1.0);
    const __m128d five = _mm_set1_pd(5.0), third = _mm_set1_pd(1.0 / 3.0), tMax = _mm_set1_pd(700.0);
    for (; i + 2 <= rows; i += 2) {
        const __m128d r2 = _mm_max_pd(_mm_add_pd(_mm_add_pd(_mm_loadu_pd(v + i), _mm_loadu_pd(aNorm + i)), vb),
                                      _mm_setzero_pd());
        const __m128d t = _mm_min_pd(_mm_sqrt_pd(_mm_mul_pd(r2, five)), tMax);
        const __m128d poly = _mm_add_pd(_mm_add_pd(one, t), _mm_mul_pd(_mm_mul_pd(t, t), third));
        _mm_storeu_pd(v + i, _mm_mul_pd(_mm_mul_pd(vs2, poly), expNegSse2(t)));
    }
#endif
    for (; i < rows; ++i) {
        const double t = std::sqrt(5.0 * std::max(v[i] + aNorm[i] + bNorm, 0.0));
        v[i] = s2 * (1.0 + t + t * t * (1.0 / 3.0)) * std::exp(-t);
    }
}

// Matern 5/2 on inputs already divided by the length scales; aNorm/bNorm are squared row norms.
Eigen::MatrixXd kernelScaled(const Eigen::MatrixXd& As, const Eigen::VectorXd& aNorm, const Eigen::MatrixXd& Bs,
                             const Eigen::VectorXd& bNorm, double s2)
{
    Eigen::MatrixXd K(As.rows(), Bs.rows());
    K.noalias() = -2.0 * As * Bs.transpose();
    for (Eigen::Index j = 0; j < K.cols(); ++j)
        maternColumn(K.col(j).data(), aNorm.data(), bNorm[j], K.rows(), s2);
    return K;
}

double sigmoid(double u) { return 1.0 / (1.0 + std::exp(-u)); }

// Indices of the k smallest entries of y, in increasing order of y.
std::vector<int> bestIndices(const Eigen::VectorXd& y, int k)
{
    std::vector<int> idx(static_cast<size_t>(y.size()));
    std::iota(idx.begin(), idx.end(), 0);
    k = std::min<int>(k, static_cast<int>(idx.size()));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) { return y[a] < y[b]; });
    idx.resize(static_cast<size_t>(k));
    return idx;
}

} // namespace

double minimizeInBox(const BoxObjective& f, Eigen::VectorXd& x, const Eigen::VectorXd& lower,
                     const Eigen::VectorXd& upper, int maxIterations)
{
    // The sigmoid map keeps every iterate strictly inside the box without active-set bookkeeping; gradients
    // fade near a bound, which is fine for hyper-parameters that merely saturate there.
    const Eigen::Index n = x.size();
    const Eigen::ArrayXd width = (upper - lower).array().max(0.0);
    Eigen::VectorXd u(n);
    for (Eigen::Index i = 0; i < n; ++i) {
        const double p = width[i] > 0 ? std::clamp((x[i] - lower[i]) / width[i], 1e-6, 1.0 - 1e-6) : 0.5;
        u[i] = std::log(p / (1.0 - p));
    }
    Eigen::VectorXd xTmp(n), gx(n);
    auto evaluate = [&](const Eigen::VectorXd& uu, Eigen::VectorXd& gu) {
        Eigen::ArrayXd s = uu.array().unaryExpr([](double v) { return sigmoid(v); });
        xTmp = (lower.array() + width * s).matrix();
        gx.setZero();
        const double v = f(xTmp, gx);
        gu = (gx.array() * width * s * (1.0 - s)).matrix();
        return v;
    };

    constexpr int kMemory = 8;
    std::deque<Eigen::VectorXd> sMem, yMem;
    std::deque<double> rhoMem;
    Eigen::VectorXd g(n), gNew(n), uNew(n), d(n);
    double fx = evaluate(u, g);
    if (!std::isfinite(fx)) {
        x = xTmp;
        return fx;
    }
    for (int iter = 0; iter < maxIterations; ++iter) {
        if (g.lpNorm<Eigen::Infinity>() < 1e-6)
            break;
        // Two-loop recursion.
        d = -g;
        std::vector<double> a(sMem.size());
        for (int i = static_cast<int>(sMem.size()) - 1; i >= 0; --i) {
            a[static_cast<size_t>(i)] = rhoMem[static_cast<size_t>(i)] * sMem[static_cast<size_t>(i)].dot(d);
            d -= a[static_cast<size_t>(i)] * yMem[static_cast<size_t>(i)];
        }
        if (!sMem.empty())
            d *= sMem.back().dot(yMem.back()) / yMem.back().squaredNorm();
        for (size_t i = 0; i < sMem.size(); ++i) {
            const double b = rhoMem[i] * yMem[i].dot(d);
            d += (a[i] - b) * sMem[i];
        }
        double slope = g.dot(d);
        if (!(slope < 0.0)) {
            sMem.clear(); yMem.clear(); rhoMem.clear();
            d = -g;
            slope = -g.squaredNorm();
        }
        // Backtracking (Armijo) line search; the first steepest-descent step is normalised.
        double step = sMem.empty() ? std::min(1.0, 1.0 / d.norm()) : 1.0;
        double fNew = std::numeric_limits<double>::infinity();
        bool accepted = false;
        for (int k = 0; k < 30; ++k) {
            uNew = u + step * d;
            fNew = evaluate(uNew, gNew);
            if (std::isfinite(fNew) && fNew <= fx + 1e-4 * step * slope) {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if (!accepted) {
            if (sMem.empty())
                break;
            sMem.clear(); yMem.clear(); rhoMem.clear();
            continue;
        }
        Eigen::VectorXd s = uNew - u;
        Eigen::VectorXd yv = gNew - g;
        const double sy = s.dot(yv);
        if (sy > 1e-12 * s.norm() * yv.norm()) {
            if (static_cast<int>(sMem.size()) == kMemory) {
                sMem.pop_front(); yMem.pop_front(); rhoMem.pop_front();
            }
            sMem.push_back(std::move(s));
            yMem.push_back(std::move(yv));
            rhoMem.push_back(1.0 / sy);
        }
        const double decrease = fx - fNew;
        u = uNew;
        g = gNew;
        fx = fNew;
        if (decrease < 1e-10 * (1.0 + std::abs(fx)))
            break;
    }
    const Eigen::ArrayXd s = u.array().unaryExpr([](double v) { return sigmoid(v); });
    x = (lower.array() + width * s).matrix();
    return fx;
}

Eigen::MatrixXd GaussianProcess::maternKernel(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                                              const Eigen::VectorXd& lengthScales, double signalVariance)
{
    const Eigen::VectorXd inv = lengthScales.cwiseInverse();
    const Eigen::MatrixXd As = A * inv.asDiagonal();
    const Eigen::MatrixXd Bs = B * inv.asDiagonal();
    return kernelScaled(As, As.rowwise().squaredNorm(), Bs, Bs.rowwise().squaredNorm(), signalVariance);
}

double GaussianProcess::negLogPosterior(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                        const Eigen::VectorXd& theta, Eigen::VectorXd& grad) const
{
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    const Eigen::ArrayXd ls = theta.head(d).array().exp();
    const double s2 = std::exp(theta[d]);
    double noise = std::exp(theta[d + 1]);

    const Eigen::MatrixXd Z = X * ls.inverse().matrix().asDiagonal();
    Eigen::MatrixXd R2(n, n);
    R2.noalias() = -2.0 * Z * Z.transpose();
    const Eigen::VectorXd zn = Z.rowwise().squaredNorm();
    R2.colwise() += zn;
    R2.rowwise() += zn.transpose();
    const Eigen::ArrayXXd t = (5.0 * R2.array().max(0.0)).sqrt();
    const Eigen::ArrayXXd e = (-t).exp();
    const Eigen::MatrixXd Kf = (s2 * (1.0 + t + t.square() * (1.0 / 3.0)) * e).matrix();

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
    // dk/dlog l_k = s2 (5/3)(1 + t) exp(-t) (dz_k)^2; sum_ij M_ij (z_ik - z_jk)^2 expands into two GEMV-like terms.
    const Eigen::MatrixXd M = (W.array() * (s2 * (5.0 / 3.0)) * (1.0 + t) * e).matrix();
    const Eigen::VectorXd rowSum = M.rowwise().sum();
    const Eigen::MatrixXd MZ = M * Z;
    for (Eigen::Index k = 0; k < d; ++k) {
        const double quad = Z.col(k).dot(MZ.col(k));
        const double lin = (Z.col(k).array().square() * rowSum.array()).sum();
        grad[k] = lin - quad; // 0.5 * (2 lin - 2 quad)
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

Eigen::VectorXd GaussianProcess::optimiseHyper(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                               std::mt19937_64& rng, const GpOptions& options) const
{
    const Eigen::Index d = X.cols();
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
    Eigen::VectorXd best = starts.front();
    double bestValue = std::numeric_limits<double>::infinity();
    for (Eigen::VectorXd& t : starts) {
        const double v = minimizeInBox(objective, t, lower, upper, options.maxIterations);
        if (v < bestValue) {
            bestValue = v;
            best = t;
        }
    }
    return best;
}

std::vector<int> GaussianProcess::varianceSubset(const Eigen::MatrixXd& Xs, const Eigen::VectorXd& y, int r) const
{
    // The best points carry the acquisition decision, so their neighbourhoods get exact variance; the rest is
    // spread by farthest-point sampling (in length-scale units) so that no region is left wildly overestimated.
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

void GaussianProcess::factorise(const Eigen::MatrixXd& X, const Eigen::VectorXd& yStd, int maxVariancePoints)
{
    const int n = static_cast<int>(X.rows());
    const Eigen::MatrixXd Xs = X * m_lengthScales.cwiseInverse().asDiagonal();
    const int r = std::clamp(maxVariancePoints, 1, n);

    // Put the variance subset first: the leading block of the full Cholesky factor is then its own factor.
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

    const Eigen::MatrixXd Kf = kernelScaled(m_Xs, m_XsNorm, m_Xs, m_XsNorm, m_signalVariance);
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
    m_logMarginalLikelihood = -0.5 * yP.dot(m_alpha) - llt.matrixLLT().diagonal().array().log().sum()
                              - 0.5 * n * kLog2Pi;
    m_varianceCount = r;
    m_varianceL = llt.matrixLLT().topLeftCorner(r, r).triangularView<Eigen::Lower>();
}

void GaussianProcess::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::mt19937_64& rng,
                          const GpOptions& options)
{
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    if (n == 0 || d == 0 || y.size() != n)
        throw std::invalid_argument("GaussianProcess::fit: empty or mismatched X and y");
    if (!X.allFinite() || !y.allFinite())
        throw std::invalid_argument("GaussianProcess::fit: non-finite input");

    m_fitted = false;
    m_yMean = y.mean();
    const double var = n > 1 ? (y.array() - m_yMean).square().sum() / static_cast<double>(n - 1) : 0.0;
    // A constant target carries no scale; keep unit scale so predictions stay in sensible units.
    m_yScale = var > 1e-24 * std::max(1.0, m_yMean * m_yMean) ? std::sqrt(var) : 1.0;
    const Eigen::VectorXd yStd = (y.array() - m_yMean) / m_yScale;

    if (m_theta.size() != d + 2)
        m_theta.resize(0); // a previous fit in another space is no warm start
    const bool haveHyper = m_theta.size() == d + 2;
    if ((options.refitHyper || !haveHyper) && n >= 3) {
        if (n > options.maxHyperPoints && options.maxHyperPoints >= 3) {
            // The best quarter keeps the length scales honest where the optimiser will look; the random rest
            // keeps the global picture.
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
        m_theta.resize(d + 2);
        m_theta.head(d).setConstant(kLengthPriorMean);
        m_theta[d] = 0.0;
        m_theta[d + 1] = std::log(1e-3);
    }
    m_lengthScales = m_theta.head(d).array().exp();
    m_signalVariance = std::exp(m_theta[d]);
    m_noiseVariance = std::exp(m_theta[d + 1]);

    factorise(X, yStd, options.maxVariancePoints);
    m_fitted = true;
}

Eigen::VectorXd GaussianProcess::predictMean(const Eigen::MatrixXd& Xs) const
{
    if (!m_fitted)
        throw std::logic_error("GaussianProcess::predictMean: model not fitted");
    if (Xs.cols() != m_Xs.cols())
        throw std::invalid_argument("GaussianProcess::predictMean: dimension mismatch");
    const Eigen::Index m = Xs.rows();
    Eigen::VectorXd mean(m);
    const Eigen::VectorXd inv = m_lengthScales.cwiseInverse();
    for (Eigen::Index start = 0; start < m; start += kPredictBlock) {
        const Eigen::Index b = std::min<Eigen::Index>(kPredictBlock, m - start);
        const Eigen::MatrixXd A = Xs.middleRows(start, b) * inv.asDiagonal();
        const Eigen::MatrixXd Ks = kernelScaled(A, A.rowwise().squaredNorm(), m_Xs, m_XsNorm, m_signalVariance);
        mean.segment(start, b).noalias() = Ks * m_alpha;
    }
    return (mean.array() * m_yScale + m_yMean).matrix();
}

void GaussianProcess::predict(const Eigen::MatrixXd& Xs, Eigen::VectorXd& mean, Eigen::VectorXd& variance) const
{
    if (!m_fitted)
        throw std::logic_error("GaussianProcess::predict: model not fitted");
    if (Xs.cols() != m_Xs.cols())
        throw std::invalid_argument("GaussianProcess::predict: dimension mismatch");
    const Eigen::Index m = Xs.rows();
    mean.resize(m);
    variance.resize(m);
    const Eigen::VectorXd inv = m_lengthScales.cwiseInverse();
    const double scale2 = m_yScale * m_yScale;
    const double floor = 1e-12 * m_signalVariance;
    for (Eigen::Index start = 0; start < m; start += kPredictBlock) {
        const Eigen::Index b = std::min<Eigen::Index>(kPredictBlock, m - start);
        const Eigen::MatrixXd A = Xs.middleRows(start, b) * inv.asDiagonal();
        const Eigen::MatrixXd Ks = kernelScaled(A, A.rowwise().squaredNorm(), m_Xs, m_XsNorm, m_signalVariance);
        mean.segment(start, b).noalias() = Ks * m_alpha;
        // One triangular solve for the whole block: V = L^-1 Ks^T, var = s2 - |V_j|^2.
        Eigen::MatrixXd V = Ks.leftCols(m_varianceCount).transpose();
        m_varianceL.triangularView<Eigen::Lower>().solveInPlace(V);
        variance.segment(start, b) =
            ((m_signalVariance - V.colwise().squaredNorm().transpose().array()).max(floor) * scale2).matrix();
    }
    mean = (mean.array() * m_yScale + m_yMean).matrix();
}

} // namespace dv
