#pragma once

#include <cstdint>
#include <random>

namespace dv {

/// A seeded generator whose sequences are the same with every compiler and standard library
/// (std::uniform_*_distribution are not), so a seed reproduces a search everywhere.
class Rng {
public:
    explicit Rng(std::uint64_t seed = 0) : m_engine(seed) {}

    /// Uniform integer in [0, n), n > 0, by rejection (no modulo bias).
    std::uint64_t below(std::uint64_t n)
    {
        const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n);
        std::uint64_t x;
        do {
            x = m_engine();
        } while (x >= limit);
        return x % n;
    }
    /// Uniform double in [0, 1) with 53 random bits.
    double uniform() { return double(m_engine() >> 11) * (1.0 / 9007199254740992.0); }
    std::mt19937_64& engine() { return m_engine; }

private:
    std::mt19937_64 m_engine;
};

} // namespace dv
