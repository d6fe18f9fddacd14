#pragma once

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// The Matérn 5/2 kernel k(r) = s2 (1 + t + t^2/3) exp(-t), t = sqrt(5) r, on inputs divided by ARD
// length scales: the one implementation shared by the Gaussian process (regression surrogate) and
// the feasibility model (kernel-smoothed validity). Header-only so that it inlines into both.
//
// matern52::column           one column of a cross-kernel block (SIMD), the hot loop of prediction
// matern52::crossScaled      k(A, B) on inputs already centred and divided by the length scales
// matern52::cross            k(A, B) with ARD length scales
// matern52::crossProduct     k(A, B) * W for many rows of A, blocked and threaded, without forming k
// matern52::Gram             the training Gram matrix and the pieces of its length-scale gradient

namespace dv {

/// Runs work(begin, end) over [0, count) split into `threads` contiguous ranges, one per thread.
inline void parallelFor(int threads, Eigen::Index count,
                 const std::function<void(Eigen::Index, Eigen::Index)>& work) {
    threads =
        static_cast<int>(std::clamp<Eigen::Index>(threads, 1, std::max<Eigen::Index>(count, 1)));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t)
        pool.emplace_back(work, count * t / threads, count * (t + 1) / threads);
    work(0, count / threads);
    for (std::thread& th : pool)
        th.join();
}

/// Threads for "0: one per core" (at most 8).
inline int defaultThreads() {
    return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
}

namespace matern52 {

namespace detail {

constexpr Eigen::Index kBlock = 256;

// exp(-t) for 0 <= t <= 700 as 2^k * exp(r), |r| <= ln2/2, with the [5/5] Pade approximant
// exp(r) ~ P(r)/P(-r), P(r) = 1 + r/2 + r^2/9 + r^3/72 + r^4/1008 + r^5/30240 (relative error
// ~1e-15). Eigen's SSE2 exp for doubles is slower than scalar std::exp, and this is the hot loop
// of prediction.
#if defined(__SSE2__)
inline __m128d expNegSse2(__m128d t) {
    // Adding 1.5 * 2^52 rounds to an integer that lands in the low mantissa bits.
    const __m128d shifter = _mm_set1_pd(6755399441055744.0);
    const __m128d x = _mm_sub_pd(_mm_setzero_pd(), t);
    __m128d kd = _mm_add_pd(_mm_mul_pd(x, _mm_set1_pd(1.4426950408889634)), shifter);
    const __m128i kBits = _mm_castpd_si128(kd);
    kd = _mm_sub_pd(kd, shifter);
    const __m128d r = _mm_sub_pd(_mm_sub_pd(x, _mm_mul_pd(kd, _mm_set1_pd(0.6931471803691238))),
                                 _mm_mul_pd(kd, _mm_set1_pd(1.9082149292705877e-10)));
    const __m128d r2 = _mm_mul_pd(r, r);
    const __m128d even = _mm_add_pd(
        _mm_mul_pd(_mm_add_pd(_mm_mul_pd(r2, _mm_set1_pd(1.0 / 1008.0)), _mm_set1_pd(1.0 / 9.0)),
                   r2),
        _mm_set1_pd(1.0));
    const __m128d odd =
        _mm_mul_pd(r, _mm_add_pd(_mm_mul_pd(_mm_add_pd(_mm_mul_pd(r2, _mm_set1_pd(1.0 / 30240.0)),
                                                       _mm_set1_pd(1.0 / 72.0)),
                                            r2),
                                 _mm_set1_pd(0.5)));
    const __m128d expR = _mm_div_pd(_mm_add_pd(even, odd), _mm_sub_pd(even, odd));
    // 2^k from the low bits of the shifted value: (k + 1023) << 52 is the IEEE pattern of 2^k.
    const __m128i scale = _mm_slli_epi64(_mm_add_epi64(kBits, _mm_set1_epi64x(1023)), 52);
    return _mm_mul_pd(expR, _mm_castsi128_pd(scale));
}
#endif

} // namespace detail

/// One column of a cross-kernel block: on input -2 a_i.b (from a GEMM), on output s2 * k with
/// r^2 = |a_i|^2 + |b|^2 - 2 a_i.b. The kernel is flat at r = 0, so rounding in r^2 there is harmless.
inline void column(double* v, const double* aNorm, double bNorm, Eigen::Index rows, double s2) {
    Eigen::Index i = 0;
#if defined(__SSE2__)
    const __m128d vb = _mm_set1_pd(bNorm), vs2 = _mm_set1_pd(s2), one = _mm_set1_pd(1.0);
    const __m128d five = _mm_set1_pd(5.0), third = _mm_set1_pd(1.0 / 3.0),
                  tMax = _mm_set1_pd(700.0);
    for (; i + 2 <= rows; i += 2) {
        const __m128d r2 =
            _mm_max_pd(_mm_add_pd(_mm_add_pd(_mm_loadu_pd(v + i), _mm_loadu_pd(aNorm + i)), vb),
                       _mm_setzero_pd());
        const __m128d t = _mm_min_pd(_mm_sqrt_pd(_mm_mul_pd(r2, five)), tMax);
        const __m128d poly = _mm_add_pd(_mm_add_pd(one, t), _mm_mul_pd(_mm_mul_pd(t, t), third));
        _mm_storeu_pd(v + i, _mm_mul_pd(_mm_mul_pd(vs2, poly), detail::expNegSse2(t)));
    }
#endif
    for (; i < rows; ++i) {
        const double t = std::sqrt(5.0 * std::max(v[i] + aNorm[i] + bNorm, 0.0));
        v[i] = s2 * (1.0 + t + t * t * (1.0 / 3.0)) * std::exp(-t);
    }
}


/// k(A_i, B_j) for inputs centred and divided by the length scales; aNorm/bNorm: squared row norms.
inline Eigen::MatrixXd crossScaled(const Eigen::MatrixXd& As, const Eigen::VectorXd& aNorm,
                            const Eigen::MatrixXd& Bs, const Eigen::VectorXd& bNorm, double s2) {
    Eigen::MatrixXd K(As.rows(), Bs.rows());
    K.noalias() = -2.0 * As * Bs.transpose();
    for (Eigen::Index j = 0; j < K.cols(); ++j)
        column(K.col(j).data(), aNorm.data(), bNorm[j], K.rows(), s2);
    return K;
}

/// k(A, B) with ARD length scales (centred on the mean of B).
inline Eigen::MatrixXd cross(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                      const Eigen::VectorXd& lengthScales, double s2) {
    const Eigen::VectorXd inv = lengthScales.cwiseInverse();
    const Eigen::RowVectorXd centre = B.colwise().mean();
    const Eigen::MatrixXd As = (A.rowwise() - centre) * inv.asDiagonal();
    const Eigen::MatrixXd Bs = (B.rowwise() - centre) * inv.asDiagonal();
    return crossScaled(As, As.rowwise().squaredNorm(), Bs, Bs.rowwise().squaredNorm(), s2);
}

/// k(A, B) * W for many rows of A without forming k(A, B) (blocked; `threads` threads, 0: one per core).
inline Eigen::MatrixXd crossProduct(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                             const Eigen::VectorXd& lengthScales, double s2,
                             const Eigen::MatrixXd& W, int threads = 0) {
    if (A.cols() != B.cols() || lengthScales.size() != A.cols() || W.rows() != B.rows())
        throw std::invalid_argument("matern52::crossProduct: dimension mismatch");
    const Eigen::VectorXd inv = lengthScales.cwiseInverse();
    const Eigen::RowVectorXd centre = B.colwise().mean();
    const Eigen::MatrixXd Bs = (B.rowwise() - centre) * inv.asDiagonal();
    const Eigen::VectorXd bNorm = Bs.rowwise().squaredNorm();
    const Eigen::Index m = A.rows();
    Eigen::MatrixXd out(m, W.cols());
    auto work = [&](Eigen::Index begin, Eigen::Index end) {
        Eigen::MatrixXd As, K;
        Eigen::VectorXd aNorm;
        for (Eigen::Index start = begin; start < end; start += detail::kBlock) {
            const Eigen::Index b = std::min<Eigen::Index>(detail::kBlock, end - start);
            As.noalias() = (A.middleRows(start, b).rowwise() - centre) * inv.asDiagonal();
            aNorm = As.rowwise().squaredNorm();
            K.resize(b, Bs.rows());
            K.noalias() = -2.0 * As * Bs.transpose();
            for (Eigen::Index j = 0; j < K.cols(); ++j)
                column(K.col(j).data(), aNorm.data(), bNorm[j], b, s2);
            out.middleRows(start, b).noalias() = K * W;
        }
    };
    if (threads <= 0)
        threads = defaultThreads();
    const bool large = static_cast<double>(m) * static_cast<double>(B.rows()) > 2e5;
    parallelFor(large ? threads : 1, m, work);
    return out;
}

/// The Gram matrix of n training points and what the gradients with respect to the log length
/// scales need; built once per evaluation of a hyper-parameter objective.
struct Gram {
    /// X (n x d) centred and divided by the length scales.
    Eigen::MatrixXd Z;
    /// t = sqrt(5) r and exp(-t), n x n.
    Eigen::ArrayXXd t, e;

    Gram(const Eigen::MatrixXd& X, const Eigen::VectorXd& inverseLengthScales);
    /// k / s2 = (1 + t + t^2/3) exp(-t).
    Eigen::MatrixXd values() const;
    /// d(k / s2) / d log l_k = derivativeFactor * (z_ik - z_jk)^2, derivativeFactor =
    /// (5/3)(1 + t) exp(-t).
    Eigen::ArrayXXd derivativeFactor() const;
    /// For every dimension k: sum_ij M_ij (z_ik - z_jk)^2 (M n x n, any symmetry).
    Eigen::VectorXd weightedSquaredDifferences(const Eigen::MatrixXd& M) const;
};

inline Gram::Gram(const Eigen::MatrixXd& X, const Eigen::VectorXd& inverseLengthScales) {
    const Eigen::Index n = X.rows();
    Z = (X.rowwise() - X.colwise().mean()) * inverseLengthScales.asDiagonal();
    Eigen::MatrixXd R2(n, n);
    R2.noalias() = -2.0 * Z * Z.transpose();
    const Eigen::VectorXd zn = Z.rowwise().squaredNorm();
    R2.colwise() += zn;
    R2.rowwise() += zn.transpose();
    t = (5.0 * R2.array().max(0.0)).sqrt();
    e = (-t).exp();
}

inline Eigen::MatrixXd Gram::values() const {
    return ((1.0 + t + t.square() * (1.0 / 3.0)) * e).matrix();
}

inline Eigen::ArrayXXd Gram::derivativeFactor() const {
    return (5.0 / 3.0) * (1.0 + t) * e;
}

inline Eigen::VectorXd Gram::weightedSquaredDifferences(const Eigen::MatrixXd& M) const {
    // sum_ij M_ij (z_ik - z_jk)^2 = sum_i z_ik^2 rowSum_i + sum_j z_jk^2 colSum_j
    //                               - 2 sum_i z_ik (M Z)_ik
    const Eigen::VectorXd rowSum = M.rowwise().sum();
    const Eigen::VectorXd colSum = M.colwise().sum().transpose();
    const Eigen::MatrixXd MZ = M * Z;
    Eigen::VectorXd out(Z.cols());
    for (Eigen::Index k = 0; k < Z.cols(); ++k) {
        const Eigen::ArrayXd z2 = Z.col(k).array().square();
        out[k] = (z2 * rowSum.array()).sum() + (z2 * colSum.array()).sum() -
                 2.0 * Z.col(k).dot(MZ.col(k));
    }
    return out;
}

} // namespace matern52

} // namespace dv
