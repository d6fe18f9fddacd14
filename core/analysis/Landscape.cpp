#include "analysis/Landscape.h"

#include "device/KernelTunerCache.h"

#include <cmath>
#include <limits>

namespace dv {

Landscape Landscape::fromCache(const KernelTunerCache& cache, const QString& name)
{
    Landscape l;
    l.name = name;
    l.deviceName = cache.deviceName;
    l.space = cache.space;
    l.status.reserve(cache.measurements.size());
    l.objectiveMs.reserve(cache.measurements.size());
    for (const Measurement& m : cache.measurements) {
        const bool ok = m.isOk();
        l.status.push_back(ok ? Status::Ok : (m.status == Status::Ok ? Status::RuntimeError : m.status));
        l.objectiveMs.push_back(ok ? m.objectiveMs : std::numeric_limits<double>::quiet_NaN());
    }
    return l;
}

qint64 Landscape::bestIndex() const
{
    qint64 best = -1;
    for (qint64 i = 0; i < size(); ++i) {
        if (isOk(i) && (best < 0 || objectiveMs[size_t(i)] < objectiveMs[size_t(best)]))
            best = i;
    }
    return best;
}

double Landscape::bestMs() const
{
    const qint64 b = bestIndex();
    return b < 0 ? std::numeric_limits<double>::quiet_NaN() : objectiveMs[size_t(b)];
}

double Landscape::worstMs() const
{
    double worst = std::numeric_limits<double>::quiet_NaN();
    for (qint64 i = 0; i < size(); ++i) {
        if (isOk(i) && !(objectiveMs[size_t(i)] <= worst))
            worst = objectiveMs[size_t(i)];
    }
    return worst;
}

int Landscape::validCount() const
{
    int n = 0;
    for (Status s : status)
        n += s == Status::Ok ? 1 : 0;
    return n;
}

} // namespace dv
