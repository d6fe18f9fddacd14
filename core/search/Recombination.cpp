#include "search/Recombination.h"

#include <algorithm>

namespace dv {

void Recombination::mutate(const Neighbourhood& neighbourhood, std::vector<int>& genes, Rng& rng)
{
    const auto& params = neighbourhood.space().parameters();
    const int p = int(rng.below(quint64(genes.size())));
    const int radix = int(params[p].values.size());
    if (radix < 2)
        return;
    if (neighbourhood.isCategorical(p) || rng.uniform() < 0.2) {
        const int v = int(rng.below(quint64(radix - 1)));
        genes[size_t(p)] = v >= genes[size_t(p)] ? v + 1 : v;
    } else {
        const int step = rng.uniform() < 0.5 ? -1 : 1;
        genes[size_t(p)] = std::clamp(genes[size_t(p)] + step, 0, radix - 1);
    }
}

qint64 Recombination::child(const Neighbourhood& neighbourhood, const std::vector<int>& a, const std::vector<int>& b,
                            Rng& rng, const std::function<bool(qint64)>& taken)
{
    const int dims = int(a.size());
    std::vector<int> genes(a.size());
    for (int p = 0; p < dims; ++p)
        genes[size_t(p)] = rng.uniform() < 0.5 ? a[size_t(p)] : b[size_t(p)];
    for (int p = 0; p < dims; ++p)
        if (rng.uniform() < 1.0 / dims)
            mutate(neighbourhood, genes, rng);
    for (int attempt = 0; attempt < 32; ++attempt) {
        const qint64 index = neighbourhood.indexOf(genes);
        if (index >= 0 && !taken(index))
            return index;
        mutate(neighbourhood, genes, rng);
    }
    return -1;
}

} // namespace dv
