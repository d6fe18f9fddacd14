#include "device/WorkerDevice.h"

#include "base/JsonUtil.h"
#include "device/WorkerProcess.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QThread>

namespace dv {

namespace {

using WorkerProtocol::Reply;

// A POSIX-shell-like split (single quotes literal, double quotes with backslash escapes,
// backslash outside quotes), so that JSON with its double quotes can be written in single quotes.
Result<QStringList> splitShellWords(const QString& text)
{
    QStringList words;
    QString word;
    bool inWord = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c.isSpace()) {
            if (inWord)
                words.append(word);
            word.clear();
            inWord = false;
            continue;
        }
        inWord = true;
        if (c == QLatin1Char('\'')) {
            const qsizetype end = text.indexOf(QLatin1Char('\''), i + 1);
            if (end < 0)
                return Error{QStringLiteral("unterminated single quote at column %1").arg(i + 1)};
            word += text.mid(i + 1, end - i - 1);
            i = end;
        } else if (c == QLatin1Char('"')) {
            qsizetype j = i + 1;
            for (; j < text.size() && text[j] != QLatin1Char('"'); ++j) {
                if (text[j] == QLatin1Char('\\') && j + 1 < text.size()
                    && QStringLiteral("\"\\$`").contains(text[j + 1]))
                    ++j;
                word += text[j];
            }
            if (j >= text.size())
                return Error{QStringLiteral("unterminated double quote at column %1").arg(i + 1)};
            i = j;
        } else if (c == QLatin1Char('\\') && i + 1 < text.size()) {
            word += text[++i];
        } else {
            word += c;
        }
    }
    if (inWord)
        words.append(word);
    return words;
}

QString withLastWords(QString text, const QStringList& lines)
{
    if (lines.isEmpty())
        return text + QStringLiteral(" (nothing on stderr)");
    return text + QStringLiteral("; its last words on stderr:\n") + lines.join(QLatin1Char('\n'));
}

} // namespace

WorkerDevice::WorkerDevice(WorkerOptions options)
    : m_options(std::move(options))
    , m_trialTimeoutMs(m_options.trialTimeoutMs)
{
    // Without an application object there is no event loop to queue requests to; then the
    // caller's thread drives the process itself.
    if (QCoreApplication::instance()) {
        m_thread = std::make_unique<QThread>();
        m_thread->setObjectName(QStringLiteral("dejavu-worker-io"));
        m_context = new QObject;
        m_context->moveToThread(m_thread.get());
        m_thread->start();
    }
}

template <typename F>
void WorkerDevice::inWorkerThread(F&& function)
{
    if (!m_thread || QThread::currentThread() == m_thread.get())
        function();
    else
        QMetaObject::invokeMethod(m_context, std::forward<F>(function), Qt::BlockingQueuedConnection);
}

WorkerDevice::~WorkerDevice()
{
    inWorkerThread([this] { shutdownHere(); });
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
        delete m_context; // its thread has ended: no event can reach it any more
    }
}

Result<std::unique_ptr<WorkerDevice>> WorkerDevice::open(WorkerOptions options)
{
    if (options.command.isEmpty() || options.command.first().isEmpty())
        return Error{QStringLiteral("the worker command line is empty")};
    if (options.trialTimeoutMs <= 0 || options.startTimeoutMs <= 0 || options.loadTimeoutMs <= 0 || options.shutdownTimeoutMs <= 0)
        return Error{QStringLiteral("worker timeouts must be positive")};
    std::unique_ptr<WorkerDevice> device(new WorkerDevice(std::move(options)));
    Result<void> started;
    device->inWorkerThread([&] { started = device->startWorker(); });
    if (!started)
        return Error{started.error()};
    return device;
}

QString WorkerDevice::commandText() const
{
    return m_options.command.join(QLatin1Char(' '));
}

Result<void> WorkerDevice::startWorker()
{
    using namespace WorkerProtocol;
    const QString who = QStringLiteral("worker '%1'").arg(commandText());
    m_process = std::make_unique<WorkerProcess>(m_options.stderrLines);
    m_process->setInterruptFlag(m_options.interrupt);
    m_pid = 0;
    if (interruptRequested())
        return Error{QStringLiteral("%1: interrupted before it started").arg(who)};
    QDeadlineTimer deadline(m_options.startTimeoutMs);
    auto started = m_process->start(m_options.command, deadline, m_options.environment);
    if (!started)
        return Error{QStringLiteral("%1: %2").arg(who, started.error())};
    ++m_starts;
    m_pid = m_process->pid();

    // Every failure below leaves no process behind.
    auto fail = [&](const QString& message) -> Result<void> {
        QStringList lines = m_process->lastStderrLines();
        m_process->kill();
        m_pid = 0;
        return Error{withLastWords(who + QStringLiteral(": ") + message, lines)};
    };
    // `phase` names the deadline in the error: "the start timeout", "the load timeout".
    auto readAnswer = [&](const QString& what, const QString& phase, int timeoutMs, QByteArray& line) -> Result<void> {
        switch (m_process->readLine(line, deadline)) {
        case WorkerProcess::ReadOutcome::Line: return {};
        case WorkerProcess::ReadOutcome::Timeout:
            return Error{QStringLiteral("no %1 within %2 s (%3)").arg(what).arg(timeoutMs / 1000.0).arg(phase)};
        case WorkerProcess::ReadOutcome::TooLong:
            return Error{QStringLiteral("protocol error: a line longer than %1 bytes (the protocol's limit) instead of its %2")
                             .arg(kMaxLineBytes).arg(what)};
        case WorkerProcess::ReadOutcome::Interrupted:
            return Error{QStringLiteral("interrupted while waiting for its %1").arg(what)};
        case WorkerProcess::ReadOutcome::Exited:
            m_process->waitForExit(QDeadlineTimer(1000));
            return Error{QStringLiteral("%1 before its %2").arg(m_process->exitDescription(), what)};
        }
        return Error{QStringLiteral("unreachable")};
    };

    QByteArray line;
    if (auto got = readAnswer(QStringLiteral("hello"), QStringLiteral("the start timeout"), m_options.startTimeoutMs, line); !got)
        return fail(got.error());
    auto hello = parseHello(line);
    if (!hello)
        return fail(QStringLiteral("protocol error: ") + hello.error());
    const auto gpu = std::find_if(hello->devices.cbegin(), hello->devices.cend(),
                                  [&](const GpuInfo& g) { return g.index == m_options.device; });
    if (gpu == hello->devices.cend())
        return fail(QStringLiteral("has no device %1 (it announces %2)").arg(m_options.device).arg(hello->devices.size()));

    const qint64 id = m_nextId++;
    deadline = QDeadlineTimer(m_options.loadTimeoutMs);
    auto written = m_process->write(encode(loadMessage(LoadRequest{id, m_options.kernel, m_options.problem, m_options.device})),
                                    deadline);
    if (!written)
        return fail(written.error());
    if (auto got = readAnswer(QStringLiteral("answer to load"), QStringLiteral("the load timeout"), m_options.loadTimeoutMs, line); !got)
        return fail(got.error());
    auto reply = parseReply(line, id, kLoaded);
    if (!reply)
        return fail(QStringLiteral("protocol error: ") + reply.error());
    if (reply->type == kError) {
        auto error = parseError(reply.value());
        if (!error)
            return fail(QStringLiteral("protocol error: ") + error.error());
        return fail(QStringLiteral("cannot load kernel '%1' with problem %2: %3: %4")
                        .arg(m_options.kernel.isEmpty() ? QStringLiteral("(default)") : m_options.kernel,
                             QString::fromUtf8(QJsonDocument(m_options.problem).toJson(QJsonDocument::Compact)),
                             error->code, error->message));
    }
    // The announced space is enumerated within EnumerationLimits, and Ctrl-C ends that too.
    auto loaded = parseLoaded(reply.value(), m_options.interrupt);
    if (!loaded)
        return fail(QStringLiteral("protocol error: ") + loaded.error());

    if (m_starts == 1) {
        m_hello = hello.value();
        m_loaded = loaded.value();
        QJsonObject gpuJson = helloMessage(Hello{kVersion, {}, 1, {*gpu}, {}, {}})
                                  .value(QLatin1String("devices")).toArray().first().toObject();
        QJsonObject versions;
        for (auto it = m_hello.versions.cbegin(); it != m_hello.versions.cend(); ++it)
            versions.insert(it.key(), it.value());
        m_info.id = m_options.id.isEmpty() ? QStringLiteral("%1:%2").arg(m_hello.backend).arg(gpu->index) : m_options.id;
        m_info.name = gpu->name;
        m_info.backend = m_hello.backend;
        // Measurements are reused only for the same kernel build, so its identity is part of it.
        m_info.toolchain = toolchainText(m_hello.backend, m_hello.versions) + QStringLiteral(", kernel ") + m_loaded.identity;
        m_info.details = QJsonObject{{QStringLiteral("protocol"), kVersion},
                                     {QStringLiteral("command"), QJsonArray::fromStringList(m_options.command)},
                                     {QStringLiteral("gpu"), gpuJson},
                                     {QStringLiteral("versions"), versions},
                                     {QStringLiteral("kernel_identity"), m_loaded.identity}};
        if (!m_hello.capabilities.isEmpty())
            m_info.details.insert(QStringLiteral("capabilities"), QJsonArray::fromStringList(m_hello.capabilities));
        // What exporters need about the deployment (Triton's cache keys, ...), as the worker says.
        if (m_loaded.extra.contains(QLatin1String("deployment")))
            m_info.details.insert(QStringLiteral("deployment"), m_loaded.extra.value(QLatin1String("deployment")));
        m_workload = Workload{m_loaded.kernel, m_loaded.problem, m_loaded.space};
    } else if (loaded->identity != m_loaded.identity || loaded->problem != m_loaded.problem
               || loaded->space.toJson() != m_loaded.space.toJson() || hello->versions != m_hello.versions) {
        // Measurements of a different kernel or toolchain must not join this device's session.
        return fail(QStringLiteral("the restarted worker loaded a different kernel, problem, space or toolchain (identity '%1', was '%2')")
                        .arg(loaded->identity, m_loaded.identity));
    }
    return {};
}

DeviceInfo WorkerDevice::info() const
{
    DeviceInfo info = m_info;
    // Times taken with a warm L2 or through graphs are not comparable with the default ones.
    if (!m_options.evaluate.flushL2)
        info.toolchain += QStringLiteral(", hot-cache");
    if (m_options.evaluate.graph)
        info.toolchain += QStringLiteral(", cuda-graph");
    return info;
}

Result<void> WorkerDevice::setTiming(const TimingOptions& timing)
{
    m_options.evaluate.flushL2 = timing.flushL2;
    m_options.evaluate.graph = timing.cudaGraph;
    return {};
}

int WorkerDevice::prepareAhead() const
{
    return m_hello.can(WorkerProtocol::kCanPrepare) ? std::max(0, m_options.prepareAhead) : 0;
}

QString WorkerDevice::lastPrepareError() const
{
    QString error;
    const_cast<WorkerDevice*>(this)->inWorkerThread([&] { error = m_prepareError; });
    return error;
}

void WorkerDevice::prepare(const QVector<QJsonObject>& configs)
{
    if (prepareAhead() == 0)
        return;
    QVector<QJsonObject> valid;
    for (const QJsonObject& c : configs) {
        if (m_workload.space.indexOf(c) >= 0)
            valid.append(c);
    }
    if (valid.isEmpty())
        return;
    inWorkerThread([&] { prepareHere(valid); });
}

void WorkerDevice::prepareHere(const QVector<QJsonObject>& configs)
{
    using namespace WorkerProtocol;
    if (interruptRequested())
        return;
    if (!m_process || !m_process->isRunning()) {
        // After a crash: start the next worker now, so that it compiles while nothing waits.
        auto started = startWorker();
        if (!started) {
            m_prepareError = started.error();
            return; // the next evaluation tries again and reports it
        }
    }
    // `prepared` comes at once; a worker that cannot say so soon is not well and is replaced
    // by the next evaluation (which then reports its own fate).
    const QDeadlineTimer deadline(std::min<int>(m_trialTimeoutMs, 30000));
    const qint64 id = m_nextId++;
    auto fail = [&](const QString& why) {
        m_prepareError = why;
        m_process->kill();
        m_pid = 0;
    };
    if (auto written = m_process->write(encode(prepareMessage(PrepareRequest{id, configs})), deadline); !written)
        return fail(written.error());
    QByteArray line;
    if (m_process->readLine(line, deadline) != WorkerProcess::ReadOutcome::Line)
        return fail(QStringLiteral("no answer to prepare within %1 s (the prepare timeout; the worker %2)")
                        .arg(std::min<int>(m_trialTimeoutMs, 30000) / 1000.0).arg(m_process->exitDescription()));
    auto reply = parseReply(line, id, kPrepared);
    if (!reply)
        return fail(QStringLiteral("protocol error: ") + reply.error());
    if (reply->type == kError) {
        auto error = parseError(reply.value());
        m_prepareError = error ? QStringLiteral("worker error %1: %2").arg(error->code, error->message) : error.error();
        return; // the worker stays usable
    }
    auto queued = parsePrepared(reply.value());
    if (!queued)
        return fail(QStringLiteral("protocol error: ") + queued.error());
    m_prepareError.clear();
    ++m_prepared;
}

const Workload& WorkerDevice::workload() const
{
    return m_workload;
}

Measurement WorkerDevice::evaluate(const QJsonObject& config)
{
    m_evaluationInterrupted = false;
    m_lostReason.clear();
    // Checked here: an invalid configuration must not cost a round trip, let alone a restart.
    if (m_workload.space.indexOf(config) < 0)
        return Measurement::failure(Status::Invalid, QStringLiteral("configuration %1 is not in the space of %2")
                                                         .arg(ConfigSpace::keyOf(config), m_workload.kernel));
    Measurement m;
    inWorkerThread([&] { m = evaluateHere(config); });
    return m;
}

Measurement WorkerDevice::abandonWorker(Status status, const QString& what)
{
    const QStringList lines = m_process->lastStderrLines();
    m_process->kill();
    m_pid = 0;
    return Measurement::failure(status, withLastWords(what, lines));
}

Measurement WorkerDevice::evaluateHere(const QJsonObject& config)
{
    using namespace WorkerProtocol;
    // Nothing is started or asked once interrupted: the session is ending.
    auto interrupted = [&](const QString& what) {
        m_evaluationInterrupted = true;
        return Measurement::failure(Status::Crashed, QStringLiteral("interrupted %1").arg(what));
    };
    if (interruptRequested())
        return interrupted(QStringLiteral("before the evaluation"));
    if (!m_process || !m_process->isRunning()) {
        auto started = startWorker();
        if (!started) {
            if (interruptRequested())
                return interrupted(QStringLiteral("while restarting the worker"));
            m_lostReason = QStringLiteral("cannot restart the worker: ") + started.error();
            return Measurement::failure(Status::Crashed, m_lostReason);
        }
    }
    const int timeoutMs = m_trialTimeoutMs;
    const QDeadlineTimer deadline(timeoutMs);
    const qint64 pid = m_process->pid();
    const qint64 id = m_nextId++;
    EvaluateOptions options = m_options.evaluate;
    options.timeoutMs = timeoutMs;
    auto written = m_process->write(encode(evaluateMessage(EvaluateRequest{id, config, options})), deadline);
    if (!written) {
        if (interruptRequested()) {
            abandonWorker(Status::Crashed, QString());
            return interrupted(QStringLiteral("while sending the evaluation; the worker (pid %1) was killed").arg(pid));
        }
        m_process->waitForExit(QDeadlineTimer(1000));
        return abandonWorker(Status::Crashed, QStringLiteral("the worker (pid %1) %2: %3")
                                                  .arg(pid).arg(m_process->exitDescription(), written.error()));
    }

    QByteArray line;
    switch (m_process->readLine(line, deadline)) {
    case WorkerProcess::ReadOutcome::Line: break;
    case WorkerProcess::ReadOutcome::Timeout:
        return abandonWorker(Status::Timeout, QStringLiteral("no answer to evaluate within %1 s (the trial timeout: compile, verify "
                                                             "and time); the worker (pid %2) was killed")
                                                  .arg(timeoutMs / 1000.0).arg(pid));
    case WorkerProcess::ReadOutcome::Interrupted:
        abandonWorker(Status::Crashed, QString());
        return interrupted(QStringLiteral("during the evaluation; the worker (pid %1) was killed").arg(pid));
    case WorkerProcess::ReadOutcome::Exited:
        m_process->waitForExit(QDeadlineTimer(1000));
        return abandonWorker(Status::Crashed, QStringLiteral("the worker (pid %1) %2 during the evaluation")
                                                  .arg(pid).arg(m_process->exitDescription()));
    case WorkerProcess::ReadOutcome::TooLong:
        return abandonWorker(Status::Crashed, QStringLiteral("protocol error: a line longer than %1 bytes (the protocol's limit); "
                                                             "the worker (pid %2) was killed")
                                                  .arg(kMaxLineBytes).arg(pid));
    }

    auto protocolError = [&](const QString& message) {
        return abandonWorker(Status::Crashed, QStringLiteral("protocol error: %1; the worker (pid %2) was killed").arg(message).arg(pid));
    };
    auto reply = parseReply(line, id, kMeasurement);
    if (!reply)
        return protocolError(reply.error());
    if (reply->type == kError) {
        auto error = parseError(reply.value());
        if (!error)
            return protocolError(error.error());
        // The worker is alive and in step with us; only this configuration failed.
        return Measurement::failure(Status::RuntimeError, QStringLiteral("worker error %1: %2").arg(error->code, error->message));
    }
    auto measurement = parseMeasurement(reply.value());
    if (!measurement)
        return protocolError(measurement.error());
    return measurement.value();
}

void WorkerDevice::shutdownHere()
{
    using namespace WorkerProtocol;
    if (!m_process)
        return;
    // A healthy worker gets its shutdown even after Ctrl-C; one that does not exit in time is
    // killed with its whole group (by the reset below).
    m_process->setInterruptFlag(nullptr);
    if (m_process->isRunning()) {
        const QDeadlineTimer deadline(m_options.shutdownTimeoutMs);
        const qint64 id = m_nextId++;
        if (m_process->write(encode(shutdownMessage(id)), deadline)) {
            QByteArray line;
            // The answer is a courtesy; the exit is what counts.
            if (m_process->readLine(line, deadline) == WorkerProcess::ReadOutcome::Line)
                m_process->waitForExit(deadline);
        }
    }
    m_process.reset(); // kills it if it is still running
    m_pid = 0;
}

Result<QList<int>> WorkerDevice::parseGpuList(const QString& text)
{
    QList<int> gpus;
    const QString usage = QStringLiteral("expected GPU indices such as 0-7 or 0,2,3");
    for (const QString& part : text.split(QLatin1Char(','))) {
        const QStringList range = part.split(QLatin1Char('-'));
        bool okFirst = false, okLast = false;
        const int first = range.first().toInt(&okFirst);
        const int last = range.size() == 2 ? range.last().toInt(&okLast) : first;
        if (range.size() > 2 || !okFirst || (range.size() == 2 && !okLast) || first < 0 || last < first || last > 1023)
            return Error{QStringLiteral("'%1': %2").arg(part, usage)};
        for (int g = first; g <= last; ++g) {
            if (gpus.contains(g))
                return Error{QStringLiteral("GPU %1 is named twice (two slots on one GPU would disturb each other's timing)").arg(g)};
            gpus.append(g);
        }
    }
    return gpus;
}

Result<WorkerOptions> WorkerDevice::optionsFromId(const QString& id)
{
    const QString prefix = QStringLiteral("worker:");
    if (!id.startsWith(prefix))
        return Error{QStringLiteral("'%1' is not a worker device id (expected 'worker:COMMAND')").arg(id)};
    auto words = splitShellWords(id.mid(prefix.size()));
    if (!words)
        return Error{QStringLiteral("device '%1': %2").arg(id, words.error())};
    WorkerOptions options;
    options.id = id;
    static const QRegularExpression optionPattern(QStringLiteral("^([A-Za-z_][A-Za-z0-9_]*)=(.*)$"),
                                                  QRegularExpression::DotMatchesEverythingOption);
    QStringList rest = words.value();
    // timeout= bounds every wait on the worker; start_timeout= and load_timeout= override it
    // for a worker that is slow to start (Python importing torch) or to load, in any order.
    int timeoutMs = 0, startTimeoutMs = 0, loadTimeoutMs = 0;
    while (!rest.isEmpty()) {
        const auto match = optionPattern.match(rest.first());
        if (!match.hasMatch())
            break;
        const QString key = match.captured(1);
        const QString value = match.captured(2);
        auto bad = [&](const QString& why) {
            return Error{QStringLiteral("device '%1': %2=%3: %4").arg(id, key, value, why)};
        };
        if (key == QLatin1String("kernel")) {
            options.kernel = value;
        } else if (key == QLatin1String("problem")) {
            auto problem = parseJsonObject(value.toUtf8(), QStringLiteral("problem"));
            if (!problem)
                return bad(problem.error());
            options.problem = problem.value();
        } else if (key == QLatin1String("device")) {
            bool ok = false;
            options.device = value.toInt(&ok);
            if (!ok || options.device < 0)
                return bad(QStringLiteral("expected a device index (0, 1, ...)"));
        } else if (key == QLatin1String("gpus")) {
            auto gpus = parseGpuList(value);
            if (!gpus)
                return bad(gpus.error());
            options.gpus = gpus.value();
        } else if (key == QLatin1String("gpu_env")) {
            static const QStringList allowed = {QStringLiteral("CUDA_VISIBLE_DEVICES"), QStringLiteral("HIP_VISIBLE_DEVICES"),
                                                QStringLiteral("ROCR_VISIBLE_DEVICES"), QStringLiteral("device")};
            if (!allowed.contains(value))
                return bad(QStringLiteral("expected %1").arg(allowed.join(QStringLiteral(", "))));
            options.gpuPinning = value;
        } else if (key == QLatin1String("prepare")) {
            bool ok = false;
            options.prepareAhead = value.toInt(&ok);
            if (!ok || options.prepareAhead < 0 || options.prepareAhead > 1024)
                return bad(QStringLiteral("expected how many configurations to announce ahead (0..1024; 0: never)"));
        } else if (key == QLatin1String("timeout") || key == QLatin1String("start_timeout") || key == QLatin1String("load_timeout")) {
            bool ok = false;
            const double seconds = value.toDouble(&ok);
            if (!ok || !(seconds > 0) || seconds > 86400)
                return bad(QStringLiteral("expected a number of seconds > 0 (at most 86400)"));
            const int ms = std::max(1, int(seconds * 1000));
            if (key == QLatin1String("timeout"))
                timeoutMs = ms;
            else if (key == QLatin1String("start_timeout"))
                startTimeoutMs = ms;
            else
                loadTimeoutMs = ms;
        } else {
            return bad(QStringLiteral("unknown option (expected kernel, problem, device, gpus, gpu_env, timeout, start_timeout, load_timeout or prepare "
                                       "before the command; to set environment variables, start the command with 'env')"));
        }
        rest.removeFirst();
    }
    if (rest.isEmpty())
        return Error{QStringLiteral("device '%1': no worker command (expected 'worker:[OPTIONS] COMMAND [ARGS...]')").arg(id)};
    options.command = rest;
    if (timeoutMs > 0)
        options.trialTimeoutMs = options.startTimeoutMs = options.loadTimeoutMs = timeoutMs;
    if (startTimeoutMs > 0)
        options.startTimeoutMs = startTimeoutMs;
    if (loadTimeoutMs > 0)
        options.loadTimeoutMs = loadTimeoutMs;
    return options;
}

} // namespace dv
