#include "DeviceRegistry.h"

#include "Gzip.h"
#include "ReplayDevice.h"
#include "WorkerDevice.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QStandardPaths>

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

// "cuda:0", "hip:1/reduce", "triton:0/matmul problem={...} timeout=30 --some-worker-flag"
const QRegularExpression kNamedWorker(QStringLiteral("^(cuda|hip|triton):(\\d+)(?:/([A-Za-z_][A-Za-z0-9_]*))?(?:\\s+(.*))?$"),
                                      QRegularExpression::DotMatchesEverythingOption);

// Where a program built in this tree (or installed next to this one) lies.
QString findBuiltFile(const QStringList& relativePaths)
{
    QStringList roots;
    if (QCoreApplication::instance())
        roots.append(QCoreApplication::applicationDirPath());
    roots.append(QDir::currentPath());
    for (const QString& root : roots) {
        for (const QString& rel : relativePaths) {
            const QFileInfo f(QDir(root).filePath(rel));
            if (f.isFile())
                return f.absoluteFilePath();
        }
    }
    return {};
}

} // namespace

QStringList DeviceRegistry::workerCommand(const QString& backend)
{
    const QString variable = QStringLiteral("DEJAVU_%1_WORKER").arg(backend.toUpper());
    const QString fromEnvironment = QProcessEnvironment::systemEnvironment().value(variable);
    if (backend == QLatin1String("triton")) {
        QString script = fromEnvironment;
        if (script.isEmpty()) {
            const QString rel = QStringLiteral("kernels/triton/dejavu_triton_worker.py");
            // the current directory (a checkout), or the checkout above a build tree
            script = findBuiltFile({rel, QStringLiteral("../") + rel, QStringLiteral("../../") + rel,
                                    QStringLiteral("../../../") + rel});
        }
        return script.isEmpty() ? QStringList() : QStringList{QStringLiteral("python3"), script};
    }
    if (backend != QLatin1String("cuda") && backend != QLatin1String("hip"))
        return {};
    if (!fromEnvironment.isEmpty())
        return {fromEnvironment};
    const QString program = QStringLiteral("dejavu-%1-worker").arg(backend);
    // Installed side by side; a build tree (app/cli/, app/studio/, tests/ -> kernels/cuda/).
    QString path = findBuiltFile({program, QStringLiteral("../../kernels/cuda/") + program,
                                  QStringLiteral("../kernels/cuda/") + program});
    if (path.isEmpty())
        path = QStandardPaths::findExecutable(program);
    return path.isEmpty() ? QStringList() : QStringList{path};
}

QVector<DeviceRegistry::Entry> DeviceRegistry::namedWorkers()
{
    QVector<Entry> out;
    const struct {
        const char* backend;
        const char* kernel;
        const char* what;
    } forms[] = {{"cuda", "gemm", "native CUDA worker (kernels gemm, reduce, conv2d)"},
                 {"hip", "gemm", "native HIP worker (kernels gemm, reduce, conv2d)"},
                 {"triton", "matmul", "Triton worker"}};
    for (const auto& f : forms) {
        const QString backend = QLatin1String(f.backend);
        const QStringList command = workerCommand(backend);
        if (command.isEmpty())
            continue;
        out.append(Entry{backend + QStringLiteral(":0"), QStringLiteral("GPU 0 of the %1").arg(QLatin1String(f.what)),
                         QLatin1String(f.kernel), QString(), 0,
                         QStringLiteral("%1:N[/KERNEL] [problem=JSON] [timeout=S] [WORKER ARGS]; starts %2")
                             .arg(backend, command.join(QLatin1Char(' ')))});
    }
    return out;
}

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

bool DeviceRegistry::startsProcess(const QString& id)
{
    return id.startsWith(QLatin1String("worker:")) || kNamedWorker.match(id).hasMatch();
}

Result<std::unique_ptr<ReplayDevice>> DeviceRegistry::openRecorded(const QString& id)
{
    if (startsProcess(id))
        return Error{QStringLiteral("device '%1' is a worker command line, not a recorded landscape; it is not run").arg(id)};
    QString path;
    QString name = id.startsWith(kPrefix) ? id.mid(kPrefix.size()) : id;
    if (id.startsWith(kPrefix))
        path = resourcePathFor(name);
    if (path.isEmpty()) {
        const QFileInfo info(name);
        if (!info.exists()) {
            return Error{QStringLiteral("unknown device '%1': not a built-in dataset (see `dejavu-tune devices`) nor an existing file")
                             .arg(id)};
        }
        // Only a regular file is read: a FIFO would block for ever, a device never end.
        if (!info.isFile())
            return Error{QStringLiteral("%1: not a regular file (a dataset is a Kernel Tuner cache file)").arg(name)};
        if (info.size() > kMaxDatasetBytes)
            return Error{QStringLiteral("%1: %2 bytes, more than the %3 MiB a dataset may have").arg(name).arg(info.size()).arg(kMaxDatasetBytes >> 20)};
        path = name;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2").arg(path, file.errorString())};
    const QString source = path.startsWith(QLatin1Char(':')) ? id : path;
    return ReplayDevice::open(id.startsWith(kPrefix) ? id : kPrefix + QFileInfo(path).absoluteFilePath(),
                              file.read(kMaxDatasetBytes + 1), source);
}

Result<std::unique_ptr<Device>> DeviceRegistry::open(const QString& id, const std::atomic<bool>* interrupt)
{
    // "cuda:N[/KERNEL] [OPTIONS] [WORKER ARGS]" and its hip/triton siblings: the worker of this
    // build, options as for "worker:"; anything after the options goes to the worker.
    if (const auto named = kNamedWorker.match(id); named.hasMatch()) {
        const QString backend = named.captured(1);
        const QStringList command = workerCommand(backend);
        if (command.isEmpty()) {
            return Error{QStringLiteral("device '%1': no %2 worker here (build it, or name it with DEJAVU_%3_WORKER)")
                             .arg(id, backend, backend.toUpper())};
        }
        // The worker: form parses the options; a placeholder stands for the command, after the
        // worker's own arguments, and is replaced by the real command below.
        const QString placeholder = QStringLiteral("dejavu-worker-command");
        QString text = QStringLiteral("worker:device=") + named.captured(2);
        if (!named.captured(3).isEmpty())
            text += QStringLiteral(" kernel=") + named.captured(3);
        text += QLatin1Char(' ') + named.captured(4) + QLatin1Char(' ') + placeholder;
        auto options = WorkerDevice::optionsFromId(text);
        if (!options)
            return Error{QString(options.error()).replace(text, id)};
        options->command.removeLast();
        options->command = command + options->command;
        options->id = id;
        options->interrupt = interrupt;
        auto worker = WorkerDevice::open(options.value());
        if (!worker)
            return Error{worker.error()};
        return std::unique_ptr<Device>(std::move(worker.value()));
    }
    // "worker:[OPTIONS] COMMAND [ARGS...]" starts a worker process (docs/worker-protocol.md).
    if (id.startsWith(QLatin1String("worker:"))) {
        auto options = WorkerDevice::optionsFromId(id);
        if (!options)
            return Error{options.error()};
        options->interrupt = interrupt;
        auto worker = WorkerDevice::open(options.value());
        if (!worker)
            return Error{worker.error()};
        return std::unique_ptr<Device>(std::move(worker.value()));
    }
    auto device = openRecorded(id);
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
