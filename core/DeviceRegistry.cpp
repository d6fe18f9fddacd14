#include "DeviceRegistry.h"

#include "ReplayDevice.h"
#include "WorkerDevice.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

namespace dv {

namespace {

const QString kPrefix = QStringLiteral("replay:");
const QString kRoot = QStringLiteral(":/datasets");

QString resourcePathFor(const QString& name)
{
    for (const char* suffix : {".json.gz", ".json"}) {
        const QString path = kRoot + QLatin1Char('/') + name + QLatin1String(suffix);
        if (QFile::exists(path))
            return path;
    }
    return {};
}

} // namespace

QStringList DeviceRegistry::builtinReplayIds()
{
    QStringList ids;
    QDirIterator it(kRoot, {QStringLiteral("*.json.gz"), QStringLiteral("*.json")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QString rel = it.next().mid(kRoot.size() + 1);
        rel.chop(rel.endsWith(QLatin1String(".gz")) ? 8 : 5);
        ids.append(kPrefix + rel);
    }
    ids.sort();
    return ids;
}

Result<QVector<DeviceRegistry::Entry>> DeviceRegistry::list()
{
    QVector<Entry> out;
    for (const QString& id : builtinReplayIds()) {
        auto device = open(id);
        if (!device)
            return Error{device.error()};
        const DeviceInfo info = device.value()->info();
        const Workload& w = device.value()->workload();
        out.append(Entry{id, info.name, w.kernel, w.problem, w.space.size(),
                         QStringLiteral("recorded landscape")});
    }
    return out;
}

Result<std::unique_ptr<Device>> DeviceRegistry::open(const QString& id)
{
    // "worker:[OPTIONS] COMMAND [ARGS...]" starts a worker process (docs/worker-protocol.md).
    if (id.startsWith(QLatin1String("worker:"))) {
        auto options = WorkerDevice::optionsFromId(id);
        if (!options)
            return Error{options.error()};
        auto worker = WorkerDevice::open(options.value());
        if (!worker)
            return Error{worker.error()};
        return std::unique_ptr<Device>(std::move(worker.value()));
    }
    QString path;
    QString name = id.startsWith(kPrefix) ? id.mid(kPrefix.size()) : id;
    if (id.startsWith(kPrefix))
        path = resourcePathFor(name);
    if (path.isEmpty()) {
        if (!QFileInfo::exists(name)) {
            return Error{QStringLiteral("unknown device '%1': not a built-in dataset (see `dejavu-tune devices`) nor an existing file")
                             .arg(id)};
        }
        path = name;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2").arg(path, file.errorString())};
    const QString source = path.startsWith(QLatin1Char(':')) ? id : path;
    auto device = ReplayDevice::open(id.startsWith(kPrefix) ? id : kPrefix + QFileInfo(path).absoluteFilePath(),
                                     file.readAll(), source);
    if (!device)
        return Error{device.error()};
    return std::unique_ptr<Device>(std::move(device.value()));
}

QString DeviceRegistry::datasetNotices()
{
    QFile f(kRoot + QStringLiteral("/kerneltuner/LICENSE.benchmark_hub"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QStringLiteral("Datasets in kerneltuner/ come from the AutoTuningAssociation benchmark_hub:\n")
         + QString::fromUtf8(f.readAll());
}

} // namespace dv
