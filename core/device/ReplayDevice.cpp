#include "device/ReplayDevice.h"

#include <QCryptographicHash>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QThread>

namespace dv {

Result<std::unique_ptr<ReplayDevice>> ReplayDevice::open(const QString& id, const QByteArray& bytes,
                                                         const QString& source)
{
    auto cache = KernelTunerCache::parse(bytes, source);
    if (!cache)
        return Error{cache.error()};
    std::unique_ptr<ReplayDevice> device(new ReplayDevice);
    device->m_cache = std::move(cache.value());
    const KernelTunerCache& c = device->m_cache;

    const QString stem = QFileInfo(source).fileName().section(QLatin1Char('.'), 0, 0);
    device->m_info.id = id;
    // Some recorded files carry no device name; the file name still tells the GPUs apart.
    device->m_info.name = c.deviceName.isEmpty() ? stem : c.deviceName;
    device->m_info.backend = QStringLiteral("replay");
    // The toolchain of a replay is the recording itself: a different file is a different device.
    const QByteArray digest = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
    device->m_info.toolchain = QStringLiteral("replay sha256:") + QString::fromLatin1(digest.left(16));
    device->m_info.details = QJsonObject{{QStringLiteral("source"), source},
                                         {QStringLiteral("recorded_device_name"), c.deviceName}};

    device->m_workload.kernel = c.kernelName.isEmpty() ? stem : c.kernelName;
    const QJsonValue problem = c.problemSize;
    device->m_workload.problem = problem.isUndefined() || problem.isNull()
        ? QString()
        : QString::fromUtf8(QJsonDocument(QJsonArray{problem}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    device->m_workload.space = c.space;
    return device;
}

DeviceInfo ReplayDevice::info() const { return m_info; }
const Workload& ReplayDevice::workload() const { return m_workload; }

Measurement ReplayDevice::evaluate(const QJsonObject& config)
{
    if (const int ms = m_latencyMs.load(); ms > 0)
        QThread::msleep(ulong(ms));
    const qint64 index = m_cache.space.indexOf(config);
    if (index < 0)
        return Measurement::failure(Status::Invalid, QStringLiteral("configuration not in the recorded dataset"));
    return m_cache.measurements[size_t(index)];
}

} // namespace dv
