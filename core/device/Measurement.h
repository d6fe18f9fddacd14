#pragma once

#include "base/Status.h"

#include <QJsonObject>
#include <QString>
#include <QVector>

#include <cmath>
#include <limits>

namespace dv {

/// What a device answers for one configuration: the status, the timing samples and the
/// objective derived from them (milliseconds, lower is better).
struct Measurement {
    Status status = Status::Invalid;
    /// The value the search minimises; NaN unless status is Ok. A replay device reports the
    /// recorded value; a GPU worker reports the median of the samples.
    double objectiveMs = std::numeric_limits<double>::quiet_NaN();
    QVector<double> samplesMs;
    double compileTimeMs = std::numeric_limits<double>::quiet_NaN();
    QString error;
    /// Backend-specific facts (registers, shared memory, clock, temperature, ...).
    QJsonObject extra;

    bool isOk() const { return status == Status::Ok && std::isfinite(objectiveMs); }

    static Measurement failure(Status status, QString error)
    {
        Measurement m;
        m.status = status;
        m.error = std::move(error);
        return m;
    }
};

} // namespace dv
