#pragma once

#include "base/Rng.h"
#include "space/Neighbourhood.h"

#include <functional>
#include <vector>

namespace dv {

/// The genetic operators shared by the genetic strategy and the crossover operator of `bayes`.
class Recombination {
public:
    /// Uniform crossover of two parents (value indices per parameter), a one-step mutation per
    /// gene with probability 1/dimensions, then repair by further mutations (up to 32) into a
    /// valid configuration for which `taken` is false. Returns its index, or -1 if repair failed.
    static qint64 child(const Neighbourhood& neighbourhood, const std::vector<int>& a, const std::vector<int>& b,
                        Rng& rng, const std::function<bool(qint64)>& taken);

    /// Changes one random parameter: to any other value for categorical parameters (and, one time
    /// in five, for ordinal ones), otherwise one step up or down its value list.
    static void mutate(const Neighbourhood& neighbourhood, std::vector<int>& genes, Rng& rng);
};

} // namespace dv
