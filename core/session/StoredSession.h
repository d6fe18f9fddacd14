#pragma once

#include "base/Result.h"
#include "device/ReplayDevice.h"
#include "session/ResultStore.h"
#include "session/Trial.h"
#include "space/ConfigSpace.h"

#include <QString>
#include <QVector>

#include <memory>

namespace dv {

/// A stored session opened for viewing: its record, its trials and the space it ran on. Opening
/// never starts a process: a stored device id is data (docs/worker-protocol.md, "Device ids
/// from files"), so only a recorded landscape is reopened (DeviceRegistry::openRecorded).
struct StoredSession {
    SessionRecord record;
    QVector<Trial> trials;
    /// The recorded device's exact valid set when the session ran on a replay that is still
    /// available (a dataset's space is an explicit list), else the space stored with the session.
    ConfigSpace space;
    /// Why `space` is empty: the stored space did not parse (and no recorded device gave one).
    QString spaceError;
    /// The recorded device the session ran on, when it is one and still available; else null.
    std::shared_ptr<ReplayDevice> recorded;

    /// Reads session `id` of `store`; an error when the session or its trials cannot be read.
    static Result<StoredSession> open(ResultStore& store, qint64 id);
};

} // namespace dv
