#include "device/DeviceRegistry.h"

#include "base/Gzip.h"
#include "device/ReplayDevice.h"
#include "device/WorkerDevice.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QStandardPaths>

#include <optional>
#include <thread>

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
const QRegularExpression kNamedWorker(QStringLiteral("^(cuda|hip|triton):(\\d+(?:[-,]\\d+)*)(?:/([A-Za-z_][A-Za-z0-9_]*))?(?:\\s+(.*))?$"),
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

namespace {

/// The worker options of a process-starting id: "worker:..." as written, or a named worker
/// ("cuda:N[/KERNEL]", "triton:0-7/matmul") with this build's worker command.
Result<WorkerOptions> workerOptions(const QString& id)
{
    const auto named = kNamedWorker.match(id);
    if (!named.hasMatch())
        return WorkerDevice::optionsFromId(id);
    // "cuda:N[/KERNEL] [OPTIONS] [WORKER ARGS]" and its hip/triton siblings: the worker of this
    // build, options as for "worker:"; anything after the options goes to the worker.
    const QString backend = named.captured(1);
    const QStringList command = DeviceRegistry::workerCommand(backend);
    if (command.isEmpty()) {
        return Error{QStringLiteral("device '%1': no %2 worker here (build it, or name it with DEJAVU_%3_WORKER)")
                         .arg(id, backend, backend.toUpper())};
    }
    auto gpus = WorkerDevice::parseGpuList(named.captured(2));
    if (!gpus)
        return Error{QStringLiteral("device '%1': %2").arg(id, gpus.error())};
    // The worker: form parses the options; a placeholder stands for the command, after the
    // worker's own arguments, and is replaced by the real command below.
    const QString placeholder = QStringLiteral("dejavu-worker-command");
    QString text = QStringLiteral("worker:device=") + (gpus->size() == 1 ? named.captured(2) : QStringLiteral("0"));
    if (!named.captured(3).isEmpty())
        text += QStringLiteral(" kernel=") + named.captured(3);
    text += QLatin1Char(' ') + named.captured(4) + QLatin1Char(' ') + placeholder;
    auto options = WorkerDevice::optionsFromId(text);
    if (!options)
        return Error{QString(options.error()).replace(text, id)};
    options->command.removeLast();
    options->command = command + options->command;
    options->id = id;
    if (gpus->size() > 1) {
        options->gpus = gpus.value();
        options->gpuPinning = backend == QLatin1String("hip") ? QStringLiteral("HIP_VISIBLE_DEVICES")
                                                              : QStringLiteral("CUDA_VISIBLE_DEVICES");
    }
    return options;
}

/// The options of the slot on `gpu`.
WorkerOptions pinned(WorkerOptions options, int gpu)
{
    if (options.gpuPinning == QLatin1String("device")) {
        options.device = gpu;
    } else {
        options.environment.append(options.gpuPinning + QLatin1Char('=') + QString::number(gpu));
        options.device = 0;
    }
    return options;
}

} // namespace

Result<std::unique_ptr<Device>> DeviceRegistry::open(const QString& id, const std::atomic<bool>* interrupt)
{
    if (startsProcess(id)) {
        auto options = workerOptions(id);
        if (!options)
            return Error{options.error()};
        if (options->gpus.size() > 1)
            return Error{QStringLiteral("device '%1' names %2 GPUs: run it as one slot per GPU (tune --slots %2, or the studio's slots)")
                             .arg(id).arg(options->gpus.size())};
        WorkerOptions one = options->gpus.size() == 1 ? pinned(options.value(), options->gpus.first()) : options.value();
        one.interrupt = interrupt;
        auto worker = WorkerDevice::open(one);
        if (!worker)
            return Error{worker.error()};
        return std::unique_ptr<Device>(std::move(worker.value()));
    }
    auto device = openRecorded(id);
    if (!device)
        return Error{device.error()};
    return std::unique_ptr<Device>(std::move(device.value()));
}

Result<std::vector<std::unique_ptr<Device>>> DeviceRegistry::openSlots(const QString& id, int count,
                                                                       const std::atomic<bool>* interrupt)
{
    if (count < 0 || count > kMaxSlots)
        return Error{QStringLiteral("--slots %1: expected 1 to %2").arg(count).arg(kMaxSlots)};
    std::vector<std::unique_ptr<Device>> out;
    if (!startsProcess(id)) {
        for (int i = 0; i < std::max(1, count); ++i) {
            auto device = openRecorded(id);
            if (!device)
                return Error{device.error()};
            out.push_back(std::move(device.value()));
        }
        return out;
    }
    auto options = workerOptions(id);
    if (!options)
        return Error{options.error()};
    std::vector<WorkerOptions> perSlot;
    if (!options->gpus.isEmpty()) {
        if (count > 0 && count != options->gpus.size())
            return Error{QStringLiteral("--slots %1: device '%2' names %3 GPUs, one slot each").arg(count).arg(id).arg(options->gpus.size())};
        for (int gpu : options->gpus)
            perSlot.push_back(pinned(options.value(), gpu));
    } else {
        if (count > 1 && kNamedWorker.match(id).hasMatch())
            return Error{QStringLiteral("--slots %1: device '%2' is one GPU, and two slots on one GPU disturb each other's timing; "
                                        "name the GPUs instead (e.g. %3:0-%4)")
                             .arg(count).arg(id, kNamedWorker.match(id).captured(1)).arg(count - 1)};
        perSlot.assign(size_t(std::max(1, count)), options.value());
    }
    // Started at once: a worker's start (a Python import, a CUDA context) takes seconds.
    std::vector<std::optional<Result<std::unique_ptr<WorkerDevice>>>> opened(perSlot.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < perSlot.size(); ++i) {
        perSlot[i].interrupt = interrupt;
        threads.emplace_back([&, i] { opened[i].emplace(WorkerDevice::open(perSlot[i])); });
    }
    for (std::thread& t : threads)
        t.join();
    for (size_t i = 0; i < opened.size(); ++i) {
        auto& one = *opened[i];
        if (!one)
            return Error{perSlot.size() > 1 ? QStringLiteral("slot %1 of %2: %3").arg(i).arg(perSlot.size()).arg(one.error())
                                            : one.error()};
        out.push_back(std::move(one.value()));
    }
    return out;
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
