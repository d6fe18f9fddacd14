#pragma once

// A small constrained space and a smooth objective on it, shared by the strategy tests that need
// a landscape with one known optimum (no dataset, so a failure points at the strategy).

#include "search/SearchHistory.h"
#include "search/Strategy.h"
#include "space/ConfigSpace.h"

#include <QTest>

#include <QStringList>

#include <algorithm>
#include <cmath>
#include <vector>

namespace dv::test {

inline Parameter intParameter(const QString& name, std::initializer_list<int> values)
{
    Parameter p;
    p.name = name;
    p.type = ParameterType::Int;
    for (int v : values)
        p.values.append(v);
    return p;
}

// x, y in {1,2,4,...,128}, z in {0,1,2,3}: 256 combinations, of which those with x * y <= 2048 are
// valid.
inline ConfigSpace bowlSpace()
{
    auto space = ConfigSpace::create(QStringLiteral("bowl"),
                                     {intParameter(QStringLiteral("x"), {1, 2, 4, 8, 16, 32, 64, 128}),
                                      intParameter(QStringLiteral("y"), {1, 2, 4, 8, 16, 32, 64, 128}),
                                      intParameter(QStringLiteral("z"), {0, 1, 2, 3})},
                                     {QStringLiteral("x * y <= 2048")});
    if (!space)
        qFatal("bowl space: %s", qPrintable(space.error()));
    return space.value();
}

// A bowl in the value indices with its minimum (1 ms) at x = 16, y = 8, z = 2; configurations
// with z = 3 and x >= 64 fail (a resource limit).
inline Observation bowlObservation(const ConfigSpace& space, qint64 index)
{
    const std::vector<int> v = space.valueIndices(index);
    if (v[2] == 3 && v[0] >= 6)
        return Observation{index, Status::RuntimeError, 0};
    const double d = std::pow(v[0] - 4, 2) + std::pow(v[1] - 3, 2) + std::pow(v[2] - 2, 2);
    return Observation{index, Status::Ok, 1.0 + d};
}

inline qint64 bowlOptimum(const ConfigSpace& space)
{
    qint64 best = -1;
    for (qint64 i = 0; i < space.size(); ++i) {
        const Observation o = bowlObservation(space, i);
        if (o.ok() && (best < 0 || o.objectiveMs < bowlObservation(space, best).objectiveMs))
            best = i;
    }
    return best;
}

/// Runs `strategy` (already initialised) on the bowl for up to `budget` evaluations, `batch` at a
/// time, evaluating each batch at once. Every proposal must be in the space, untaken and not
/// repeated in its batch, and a batch must not be empty while anything is left; what breaks a
/// rule goes into `problems`. Returns the evaluated indices in order.
inline std::vector<qint64> runOnBowl(Strategy& strategy, const ConfigSpace& space, qint64 budget, int batch,
                                     QStringList& problems, SearchHistory* historyOut = nullptr)
{
    SearchHistory history(space.size());
    std::vector<qint64> visited;
    while (qint64(visited.size()) < budget && history.takenCount() < space.size()) {
        const int want = int(std::min<qint64>(batch, budget - qint64(visited.size())));
        const std::vector<qint64> next = strategy.propose(history, want);
        if (next.empty()) {
            problems.append(QStringLiteral("empty proposal with %1 configurations left").arg(space.size() - history.takenCount()));
            break;
        }
        if (int(next.size()) > want)
            problems.append(QStringLiteral("%1 proposals for %2 asked").arg(next.size()).arg(want));
        for (size_t k = 0; k < next.size(); ++k) {
            const qint64 i = next[k];
            if (i < 0 || i >= space.size())
                problems.append(QStringLiteral("index %1 outside the space").arg(i));
            else if (history.isTaken(i))
                problems.append(QStringLiteral("index %1 proposed again").arg(i));
            else if (std::find(next.begin(), next.begin() + std::ptrdiff_t(k), i) != next.begin() + std::ptrdiff_t(k))
                problems.append(QStringLiteral("index %1 twice in one batch").arg(i));
            else
                history.markPending(i);
        }
        if (!problems.isEmpty())
            break;
        for (qint64 i : next) {
            history.add(bowlObservation(space, i));
            visited.push_back(i);
        }
    }
    if (historyOut)
        *historyOut = history;
    return visited;
}

} // namespace dv::test
