#include "export/TritonCacheSharing.h"

#include "base/JsonUtil.h"
#include "device/GpuArchitecture.h"
#include "session/BestTrial.h"

namespace dv {

namespace {

/// The exported configuration's outcome in `trials`: its fastest ok time, else its failure.
QString outcomeThere(const QVector<Trial>& trials, const QJsonObject& config)
{
    const auto best = BestTrial::of(trials);
    double fastest = -1;
    QString failure;
    for (const Trial& t : trials) {
        if (t.config != config)
            continue;
        if (BestTrial::isExportable(t.measurement)) {
            if (fastest < 0 || t.measurement.objectiveMs < fastest)
                fastest = t.measurement.objectiveMs;
        } else if (!t.measurement.isOk()) {
            failure = statusName(t.measurement.status);
        }
    }
    if (fastest > 0 && best && BestTrial::rankingMs(*best) > 0)
        return QStringLiteral("takes %1x the best that session found (%2 ms against %3 ms)")
            .arg(fastest / BestTrial::rankingMs(*best), 0, 'f', 2)
            .arg(fastest, 0, 'g', 4)
            .arg(BestTrial::rankingMs(*best), 0, 'g', 4);
    if (!failure.isEmpty())
        return QStringLiteral("fails there (%1)").arg(failure);
    return QStringLiteral("was never measured there");
}

} // namespace

QStringList TritonCacheSharing::warnings(ResultStore& store, const QString& tunedOn, const QVector<SharedCacheEntry>& entries)
{
    QStringList out;
    const auto self = GpuArchitecture::of(tunedOn);
    if (!self) {
        out.append(QStringLiteral("triton-cache: Triton keys its autotune cache on the compute capability, not the GPU's name; '%1' is "
                                  "not in this program's table, so which other GPUs would load this export as their own is not known")
                       .arg(clip(tunedOn)));
        return out;
    }
    const QStringList sharing = GpuArchitecture::sharingWith(tunedOn);
    if (sharing.isEmpty())
        return out;
    out.append(QStringLiteral("triton-cache: Triton keys its autotune cache on the compute capability (%1), not the GPU's name: "
                              "%2 would load this export (tuned on %3) as their own, without benchmarking")
                   .arg(self->capability(), sharing.join(QStringLiteral(", ")), clip(tunedOn)));
    auto sessions = store.sessions();
    if (!sessions) {
        out.append(QStringLiteral("triton-cache: the store's sessions could not be read to compare: %1").arg(sessions.error()));
        return out;
    }
    const int before = int(out.size());
    // Oldest first, so that the lines come in the order the sessions were made.
    for (auto it = sessions->crbegin(); it != sessions->crend(); ++it) {
        const SessionRecord& r = *it;
        const auto other = GpuArchitecture::of(r.device.name);
        if (!other || !other->sameArchitecture(*self) || other->model == self->model)
            continue;
        for (const SharedCacheEntry& e : entries) {
            if (r.kernel != e.kernel || r.problem != e.problem)
                continue;
            auto trials = store.trials(r.id);
            const QString outcome = trials ? outcomeThere(trials.value(), e.config) : QStringLiteral("could not be read: ") + trials.error();
            out.append(QStringLiteral("triton-cache: key %1 on %2 (session %3): the exported configuration %4")
                           .arg(e.key)
                           .arg(clip(r.device.name))
                           .arg(r.id)
                           .arg(outcome));
        }
    }
    if (out.size() == before)
        out.append(QStringLiteral("triton-cache: this store has no session of the same kernel and problem on %1: how the exported "
                                  "configurations do there was never measured")
                       .arg(sharing.join(QStringLiteral(", "))));
    return out;
}

} // namespace dv
