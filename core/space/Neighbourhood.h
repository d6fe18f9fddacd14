#pragma once

#include "space/ConfigSpace.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace dv {

/// Neighbours of a configuration within the valid set of a space, for local strategies.
/// Numeric parameters are ordinal (a step moves to the next or previous value in the list);
/// string and boolean parameters are categorical (any other value is one step away).
class Neighbourhood {
public:
    explicit Neighbourhood(const ConfigSpace& space);

    /// Valid configurations that differ in one parameter by one step.
    std::vector<qint64> adjacent(qint64 index) const;
    /// Valid configurations that differ in exactly one parameter, by any amount.
    std::vector<qint64> hamming(qint64 index) const;
    /// Valid configurations that differ in exactly two parameters, by any amounts (whether or not
    /// the configurations between them are valid).
    std::vector<qint64> hamming2(qint64 index) const;
    /// Moves from the best configurations of a search (best first), for a local step: the untaken
    /// one-parameter changes of each, and, once every one-parameter change of the best has been
    /// taken, also the untaken two-parameter changes of the best (a variable neighbourhood: a
    /// configuration whose neighbours are all measured is left by a longer move, such as two tile
    /// sizes swapped). Sorted, without repeats.
    template <typename Taken>
    std::vector<qint64> movesFrom(const std::vector<qint64>& best, Taken&& taken) const
    {
        std::vector<qint64> out;
        bool bestExhausted = !best.empty();
        for (size_t i = 0; i < best.size(); ++i) {
            for (qint64 nb : hamming(best[i])) {
                if (taken(nb))
                    continue;
                out.push_back(nb);
                if (i == 0)
                    bestExhausted = false;
            }
        }
        if (bestExhausted) {
            for (qint64 nb : hamming2(best.front()))
                if (!taken(nb))
                    out.push_back(nb);
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }
    /// The valid configuration with the given value indices, or -1.
    qint64 indexOf(const std::vector<int>& valueIndices) const;
    bool isCategorical(int parameter) const { return m_categorical[size_t(parameter)]; }
    const ConfigSpace& space() const { return m_space; }

private:
    /// (parameter, ordinal step) from the given values to each other value of each parameter, in
    /// parameter order.
    std::vector<std::pair<size_t, qint64>> otherValueSteps(const std::vector<int>& valueIndices) const;

    ConfigSpace m_space;
    std::vector<quint64> m_stride;
    std::vector<int> m_radix;
    std::vector<bool> m_categorical;
};

} // namespace dv
