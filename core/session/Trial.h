#pragma once

#include "device/Measurement.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QVector>

namespace dv {

/// One evaluation within a session: which configuration, when, and what came back.
struct Trial {
    qint64 sessionId = 0;
    int sequence = 0;          ///< 1-based evaluation number within its session
    qint64 spaceIndex = -1;    ///< position in the session's ConfigSpace (valid-configuration order)
    QString configKey;         ///< ConfigSpace::key() of the configuration
    QJsonObject config;        ///< parameter name -> value
    Measurement measurement;
    QDateTime startedAt;
    QDateTime finishedAt;
    /// True when the answer came from the result store instead of the device (the
    /// configuration had been measured before for the same kernel, problem, device and toolchain).
    bool fromStore = false;
    /// Which of the session's device slots measured it (0 for the first; -1 answered from the
    /// store). Not stored: the slots of a run are not part of the result.
    int slot = 0;
    /// The objective of each round of the session's latest interleaved re-measurement of this
    /// configuration (ResultStore::trials fills it); empty when it was not re-measured or one
    /// of its rounds failed. BestTrial ranks by the median of these when there are any.
    QVector<double> remeasuredMs;
};

} // namespace dv
