#pragma once

#include "base/Result.h"
#include "session/Trial.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QVector>

#include <optional>

namespace dv {

class KernelTunerCache;

/// The warm start of a search: observations of a similar landscape (the same kernel on another
/// GPU or problem size) handed to the strategy as its "prior" option, a JSON array of
/// {"config": {...}, "objective": ms or null for a configuration that failed}. BayesianStrategy
/// reads it; the other strategies ignore it. Built here only, whatever the observations come
/// from: a recorded landscape (the studio's warm start, bench-strategies) or the stored trials of
/// a session (the ladder's nearest key).
class WarmStart {
public:
    /// The strategy option that carries the prior.
    static QString optionName();
    /// Every recorded configuration of a dataset, in its space order.
    static QJsonArray fromRecorded(const KernelTunerCache& cache);
    /// A session's trials, in the order they were evaluated.
    static QJsonArray fromTrials(const QVector<Trial>& trials);
    /// The prior of the recorded dataset `deviceId` (opened with DeviceRegistry::openRecorded:
    /// never a process); an error naming the id when it is not a recorded dataset.
    static Result<QJsonArray> fromRecordedDevice(const QString& deviceId);
    /// `strategyOptions` with the prior set.
    static QJsonObject withPrior(QJsonObject strategyOptions, const QJsonArray& prior);

private:
    /// One entry of the prior: the one place its JSON shape is written.
    static QJsonObject entry(const QJsonObject& config, std::optional<double> objectiveMs);
};

} // namespace dv
