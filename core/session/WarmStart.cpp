#include "session/WarmStart.h"

#include "device/DeviceRegistry.h"
#include "device/KernelTunerCache.h"
#include "device/ReplayDevice.h"

namespace dv {

QString WarmStart::optionName() { return QStringLiteral("prior"); }

QJsonObject WarmStart::entry(const QJsonObject& config, std::optional<double> objectiveMs)
{
    return QJsonObject{{QStringLiteral("config"), config},
                       {QStringLiteral("objective"), objectiveMs ? QJsonValue(*objectiveMs) : QJsonValue()}};
}

QJsonArray WarmStart::fromRecorded(const KernelTunerCache& cache)
{
    QJsonArray prior;
    for (size_t i = 0; i < cache.measurements.size(); ++i) {
        const Measurement& m = cache.measurements[i];
        prior.append(entry(cache.space.config(qint64(i)), m.isOk() ? std::optional<double>(m.objectiveMs) : std::nullopt));
    }
    return prior;
}

QJsonArray WarmStart::fromTrials(const QVector<Trial>& trials)
{
    QJsonArray prior;
    for (const Trial& t : trials)
        prior.append(entry(t.config, t.measurement.isOk() ? std::optional<double>(t.measurement.objectiveMs) : std::nullopt));
    return prior;
}

Result<QJsonArray> WarmStart::fromRecordedDevice(const QString& deviceId)
{
    // A warm start reads a landscape; it never starts a worker, whatever the id says.
    if (DeviceRegistry::startsProcess(deviceId))
        return Error{QStringLiteral("'%1' is not a recorded dataset").arg(deviceId)};
    auto recorded = DeviceRegistry::openRecorded(deviceId);
    if (!recorded)
        return Error{recorded.error()};
    return fromRecorded(recorded.value()->cache());
}

QJsonObject WarmStart::withPrior(QJsonObject strategyOptions, const QJsonArray& prior)
{
    strategyOptions.insert(optionName(), prior);
    return strategyOptions;
}

} // namespace dv
