#include "analysis/LandscapeSource.h"

#include "analysis/TrialLandscape.h"
#include "device/DeviceRegistry.h"
#include "session/BestTrial.h"
#include "session/StoredSession.h"

namespace dv {

Result<Landscape> LandscapeSource::dataset(const QString& id, const QString& name)
{
    auto replay = DeviceRegistry::openRecorded(id);
    if (!replay)
        return Error{replay.error()};
    // "replay:kerneltuner/convolution_A100" -> "convolution_A100": the file name says the GPU.
    return Landscape::fromCache(replay.value()->cache(), name.isEmpty() ? id.section(QLatin1Char('/'), -1) : name);
}

Result<Landscape> LandscapeSource::session(ResultStore& store, qint64 id, const QString& name)
{
    auto stored = StoredSession::open(store, id);
    if (!stored)
        return Error{stored.error()};
    if (!stored->spaceError.isEmpty())
        return Error{stored->spaceError};
    QVector<Trial> trials;
    auto keep = [&trials](const QVector<Trial>& from) {
        for (const Trial& t : from)
            if (!t.measurement.isOk() || BestTrial::isExportable(t.measurement))
                trials.append(t);
    };
    keep(stored->trials);
    QString label = name.isEmpty() ? QStringLiteral("session %1 (%2)").arg(id).arg(stored->record.device.name) : name;
    auto crossChecks = crossChecksOf(store, stored->record);
    if (!crossChecks)
        return Error{crossChecks.error()};
    QStringList merged;
    for (qint64 c : crossChecks.value()) {
        auto more = store.trials(c);
        if (!more)
            return Error{QStringLiteral("cross-check session %1: %2").arg(c).arg(more.error())};
        keep(more.value());
        merged.append(QString::number(c));
    }
    if (!merged.isEmpty())
        label += QStringLiteral(" + cross-check %1").arg(merged.join(QStringLiteral(", ")));
    return TrialLandscape::build(label, stored->record.device.name, stored->space, trials);
}

Result<QList<qint64>> LandscapeSource::crossChecksOf(ResultStore& store, const SessionRecord& session)
{
    auto all = store.sessions();
    if (!all)
        return Error{all.error()};
    QList<qint64> out;
    for (const SessionRecord& r : all.value()) {
        // Named by the cross-check itself, and on the same platform: a hand-edited option cannot
        // pour another GPU's or another problem's times into this landscape.
        if (r.id == session.id || r.strategyOptions.value(QLatin1String("crossCheckOf")).toInteger(-1) != session.id)
            continue;
        if (r.kernel == session.kernel && r.problem == session.problem && r.device.name == session.device.name
            && r.device.toolchain == session.device.toolchain && r.timing == session.timing)
            out.append(r.id);
    }
    return out;
}

} // namespace dv
