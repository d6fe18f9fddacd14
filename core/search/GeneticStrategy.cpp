#include "search/GeneticStrategy.h"

#include "base/Rng.h"
#include "search/Recombination.h"
#include "search/StrategyUtil.h"

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
    const qint64 child = Recombination::child(*m_neighbourhood, a, b, rng, taken);
    if (child >= 0)
        return child;
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
