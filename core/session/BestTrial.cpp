#include "session/BestTrial.h"

#include "base/Statistics.h"
#include "device/WorkerProtocol.h"

#include <QJsonValue>

namespace dv {

bool BestTrial::isExportable(const Measurement& m)
{
    // A worker that could not check the output says so with "verified": false; such a result
    // may be fast because it is wrong.
    return m.isOk() && m.extra.value(QLatin1String("verified")) != QJsonValue(false);
}

double BestTrial::rankingMs(const Trial& t)
{
    if (isRemeasured(t))
        return quantile(t.remeasuredMs, 0.5);
    return t.measurement.objectiveMs;
}

std::optional<Trial> BestTrial::of(const QVector<Trial>& trials)
{
    bool anyRemeasured = false;
    for (const Trial& t : trials)
        anyRemeasured = anyRemeasured || (isRemeasured(t) && isExportable(t.measurement));
    const Trial* best = nullptr;
    for (const Trial& t : trials) {
        if (!isExportable(t.measurement) || (anyRemeasured && !isRemeasured(t)))
            continue;
        // Ties go to the earlier trial, so that the answer does not depend on the order of equal times.
        if (!best || rankingMs(t) < rankingMs(*best))
            best = &t;
    }
    if (!best)
        return std::nullopt;
    return *best;
}

Measurement BestTrial::reported(const Trial& t)
{
    Measurement m = t.measurement;
    if (!isRemeasured(t))
        return m;
    m.extra.insert(QStringLiteral("search_ms"), m.objectiveMs);
    m.extra.insert(QStringLiteral("remeasured_rounds"), int(t.remeasuredMs.size()));
    m.objectiveMs = rankingMs(t);
    m.samplesMs = t.remeasuredMs;
    return m;
}

} // namespace dv
