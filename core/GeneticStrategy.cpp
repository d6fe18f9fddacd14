#include "GeneticStrategy.h"

#include "Rng.h"
#include "StrategyUtil.h"

#include <algorithm>
#include <cmath>

namespace dv {

void GeneticStrategy::initialize(const ConfigSpace& space, quint64 seed)
{
    m_neighbourhood = std::make_unique<Neighbourhood>(space);
    m_seed = seed;
    // Large enough for diversity, small enough that selection starts early in short budgets.
    m_population = int(std::clamp<qint64>(qint64(std::lround(std::sqrt(double(space.size())) / 2.0)), 8, 24));
}

std::vector<qint64> GeneticStrategy::propose(const SearchHistory& history, int maxCount)
{
    std::vector<qint64> out;
    for (int k = 0; k < maxCount && history.takenCount() + qint64(out.size()) < history.spaceSize(); ++k) {
        const qint64 pick = breed(history, out, proposalSeed(m_seed, history.count() * 64 + k));
        if (pick < 0)
            break;
        out.push_back(pick);
    }
    return out;
}

qint64 GeneticStrategy::breed(const SearchHistory& history, const std::vector<qint64>& batch, quint64 seed) const
{
    Rng rng(seed);
    auto taken = [&](qint64 i) { return history.isTaken(i) || std::find(batch.begin(), batch.end(), i) != batch.end(); };

    std::vector<Observation> ok;
    for (const Observation& o : history.observations())
        if (o.ok())
            ok.push_back(o);
    if (history.count() < m_population || ok.size() < 2)
        return randomUntaken(history, rng, batch);
    std::sort(ok.begin(), ok.end(), [](const Observation& a, const Observation& b) { return a.objectiveMs < b.objectiveMs; });
    ok.resize(std::min(ok.size(), size_t(m_population)));

    auto tournament = [&] {
        size_t best = size_t(rng.below(ok.size()));
        for (int i = 0; i < 2; ++i)
            best = std::min(best, size_t(rng.below(ok.size()))); // ok is sorted: smaller index is fitter
        return ok[best].index;
    };
    const ConfigSpace& space = m_neighbourhood->space();
    const std::vector<int> a = space.valueIndices(tournament());
    const std::vector<int> b = space.valueIndices(tournament());
    const int dims = int(a.size());
    const auto& params = space.parameters();

    auto mutate = [&](std::vector<int>& genes) {
        const int p = int(rng.below(quint64(dims)));
        const int radix = int(params[p].values.size());
        if (radix < 2)
            return;
        if (m_neighbourhood->isCategorical(p) || rng.uniform() < 0.2) {
            int v = int(rng.below(quint64(radix - 1)));
            genes[size_t(p)] = v >= genes[size_t(p)] ? v + 1 : v;
        } else {
            const int step = rng.uniform() < 0.5 ? -1 : 1;
            genes[size_t(p)] = std::clamp(genes[size_t(p)] + step, 0, radix - 1);
        }
    };

    std::vector<int> child(a.size());
    for (int p = 0; p < dims; ++p)
        child[size_t(p)] = rng.uniform() < 0.5 ? a[size_t(p)] : b[size_t(p)];
    for (int p = 0; p < dims; ++p)
        if (rng.uniform() < 1.0 / dims)
            mutate(child);
    for (int attempt = 0; attempt < 32; ++attempt) {
        const qint64 index = m_neighbourhood->indexOf(child);
        if (index >= 0 && !taken(index))
            return index;
        mutate(child);
    }
    // Repair failed: an untried neighbour of the first parent, else anything untried.
    const qint64 parent = m_neighbourhood->indexOf(a);
    if (parent >= 0) {
        std::vector<qint64> near;
        for (qint64 n : m_neighbourhood->hamming(parent))
            if (!taken(n))
                near.push_back(n);
        if (!near.empty())
            return near[size_t(rng.below(near.size()))];
    }
    return randomUntaken(history, rng, batch);
}

} // namespace dv
