#include "session/StoredSession.h"

#include "device/DeviceRegistry.h"

#include <QJsonDocument>

namespace dv {

Result<StoredSession> StoredSession::open(ResultStore& store, qint64 id)
{
    auto record = store.session(id);
    auto trials = store.trials(id);
    if (!record || !trials)
        return Error{record ? trials.error() : record.error()};
    StoredSession s;
    s.record = record.value();
    s.trials = trials.value();
    // A stored id is data: a recorded landscape or nothing, never a process.
    if (auto device = DeviceRegistry::openRecorded(s.record.device.id)) {
        s.recorded = std::move(device.value());
        s.space = s.recorded->workload().space;
    } else if (auto parsed = ConfigSpace::fromJson(QJsonDocument(s.record.space).toJson(), QStringLiteral("session %1").arg(id))) {
        s.space = parsed.value();
    } else {
        s.spaceError = parsed.error();
    }
    return s;
}

} // namespace dv
