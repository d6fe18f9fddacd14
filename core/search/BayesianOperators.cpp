// BayesianStrategy, part four: the operator bandit. Every third model-based proposal (two in three while
// the incumbent has not improved for kStall evaluations) comes from a model-light operator instead: a
// stationary GP smooths over sharp interactions (a tile that is fast only with more warps), which these
// find by working from the best configurations themselves. Local: the best acquisition among the
// one-parameter changes of the three best. Crossover: uniform crossover of two of the best plus mutation
// (as the genetic strategy), the first child the feasibility model expects to run. The operator is drawn
// by Thompson sampling from Beta posteriors of how often each one's proposals improved the incumbent.

#include "search/BayesianStrategy.h"

#include "base/Rng.h"
#include "search/Recombination.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dv {

namespace {

constexpr int kStall = 6;

// A Beta(a, b) draw for integer a, b >= 1: the a-th smallest of a + b - 1 uniforms (portable, unlike
// std::gamma_distribution).
double betaSample(Rng& rng, double a, double b)
{
    const int n = int(a + b) - 1;
    std::vector<double> u(size_t(std::max(1, n)));
    for (double& x : u)
        x = rng.uniform();
    std::nth_element(u.begin(), u.begin() + std::ptrdiff_t(int(a) - 1), u.end());
    return u[size_t(int(a) - 1)];
}

} // namespace

qint64 BayesianStrategy::operatorProposal(const SearchHistory& history, const std::vector<qint64>& out,
                                          const HistorySummary& summary, AcquisitionScores& scores)
{
    const int step = history.count() + int(out.size()) - m_initialSize;
    if (!(step % m_operatorPeriod == m_operatorPeriod - 1
          || (step % m_operatorPeriod == m_operatorPeriod - 2 && summary.stalled >= kStall)))
        return -1;
    const std::vector<qint64>& cand = scores.candidates();
    Rng rng(m_engine());
    std::array<double, 2> draw{};
    for (size_t k = 0; k < 2; ++k)
        draw[k] = betaSample(rng, 1 + summary.successes[k], 1 + summary.failures[k]);
    const int op = draw[1] > draw[0] ? 1 : 0;
    qint64 chosen = -1;
    if (op == 0) {
        const std::vector<qint64> local = localCandidates(history, out);
        Eigen::Index localPick = -1;
        double bestEi = 0, bestLcb = -std::numeric_limits<double>::infinity();
        Eigen::Index lcbPick = -1;
        std::vector<Eigen::Index> rows;
        for (qint64 index : local) {
            const auto it = std::lower_bound(cand.begin(), cand.end(), index);
            if (it != cand.end() && *it == index)
                rows.push_back(it - cand.begin());
        }
        scores.ensureValidity(rows);
        for (const Eigen::Index i : rows) {
            const double e = scores.weighted(AcquisitionScores::Ei, i), l = scores.weighted(AcquisitionScores::Lcb, i);
            if (e > bestEi) {
                bestEi = e;
                localPick = i;
            }
            if (l > bestLcb) {
                bestLcb = l;
                lcbPick = i;
            }
        }
        if (localPick < 0)
            localPick = lcbPick;
        if (localPick >= 0)
            chosen = cand[size_t(localPick)];
    } else {
        std::vector<qint64> children;
        for (int attempt = 0; attempt < 12 && children.size() < 6; ++attempt) {
            const qint64 c = crossoverChild(history, out, rng);
            if (c >= 0 && std::find(children.begin(), children.end(), c) == children.end())
                children.push_back(c);
        }
        if (!children.empty()) {
            // Children are taken in the order bred, as by the genetic strategy (ranking them by the
            // model would undo the point of asking something other than the model), skipping any
            // the feasibility model expects to fail.
            chosen = children.front();
            if (summary.anyFailure && m_feasibility.isFitted()) {
                const Eigen::VectorXd pv = m_feasibility.predict(feasibilityColumns(encodeRows(children)));
                Eigen::Index c = 0;
                for (c = 0; c < pv.size() && pv[c] < 0.5; ++c) {
                }
                if (c == pv.size())
                    pv.maxCoeff(&c);
                chosen = children[size_t(c)];
            }
        }
    }
    if (chosen >= 0)
        m_operatorOf.emplace_back(chosen, op);
    return chosen;
}

qint64 BayesianStrategy::crossoverChild(const SearchHistory& history, const std::vector<qint64>& batch, Rng& rng) const
{
    auto taken = [&](qint64 i) { return history.isTaken(i) || std::find(batch.begin(), batch.end(), i) != batch.end(); };
    std::vector<Observation> ok;
    for (const Observation& o : history.observations())
        if (o.ok() && std::isfinite(o.objectiveMs))
            ok.push_back(o);
    if (ok.size() < 2)
        return -1;
    std::sort(ok.begin(), ok.end(), [](const Observation& a, const Observation& b) { return a.objectiveMs < b.objectiveMs; });
    ok.resize(std::min<size_t>(ok.size(), 8));
    auto tournament = [&] {
        size_t best = size_t(rng.below(ok.size()));
        for (int i = 0; i < 2; ++i)
            best = std::min(best, size_t(rng.below(ok.size()))); // sorted: a smaller position is fitter
        return best;
    };
    const size_t ia = tournament();
    size_t ib = tournament();
    if (ib == ia)
        ib = (ia + 1 + size_t(rng.below(ok.size() - 1))) % ok.size();
    return Recombination::child(*m_neighbourhood, m_space.valueIndices(ok[ia].index),
                                m_space.valueIndices(ok[ib].index), rng, taken);
}

} // namespace dv
