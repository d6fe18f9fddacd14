#pragma once

#include "device/Measurement.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

namespace dv {

/// One evaluation of the interleaved re-measurement that ends a search: the best configurations
/// of the session are measured again in rounds (A B C D E, A B C D E, ...), so that a sample
/// that was lucky once (a clock boost, a quiet neighbour) cannot decide the winner.
struct Remeasurement {
    qint64 sessionId = 0;
    int pass = 1;     ///< 1 for the session's first re-measurement; a resumed run that re-measures again adds one
    int round = 1;    ///< 1..rounds
    int position = 1; ///< the configuration's place in every round (1: the best of the search)
    QString configKey;
    QJsonObject config;
    Measurement measurement;
    QDateTime measuredAt;
};

} // namespace dv
