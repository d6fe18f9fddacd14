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
    for (const Trial& t : std::as_const(stored->trials))
        if (!t.measurement.isOk() || BestTrial::isExportable(t.measurement))
            trials.append(t);
    const QString label = name.isEmpty() ? QStringLiteral("session %1 (%2)").arg(id).arg(stored->record.device.name) : name;
    return TrialLandscape::build(label, stored->record.device.name, stored->space, trials);
}

} // namespace dv
