// A worker's process hygiene (device/WorkerProcess, as WorkerDevice drives it): every wait has a
// deadline named in the error, Ctrl-C ends every wait, and no process the worker started is
// left behind, whether the worker crashes, hangs, ignores shutdown or the engine is killed.
#include "ProcessSupport.h"
#include "device/WorkerDevice.h"
#include "device/WorkerProcess.h"
#include "session/ResultStore.h"
#include "session/Session.h"
#include "space/ConfigSpace.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <signal.h>

using namespace dv;

namespace {

const QString kWorker = QStringLiteral(DEJAVU_TEST_WORKER_PATH);

QJsonObject cfg(int block, int unroll, int vec)
{
    return QJsonObject{{QStringLiteral("BLOCK"), block}, {QStringLiteral("UNROLL"), unroll}, {QStringLiteral("VEC"), vec}};
}

WorkerOptions options(const QStringList& args)
{
    WorkerOptions o;
    o.command = QStringList{kWorker} + args;
    o.trialTimeoutMs = 60000; // long: the tests below end waits by other means
    o.startTimeoutMs = 60000;
    o.loadTimeoutMs = 60000;
    o.evaluate.repetitions = 3;
    o.evaluate.maxRepetitions = 5;
    o.evaluate.minTimeMs = 0;
    return o;
}

using test::alive;
using test::forkedPids;

/// How many lines of the test worker's --trace file are `type`.
int traced(const QString& path, const QByteArray& type)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return int(f.readAll().split('\n').count(type));
}

/// Sets `flag` once `ready` holds (polled on a thread of its own: the waits under test block
/// this one), and then 100 ms later, so that the wait has surely begun.
struct InterruptWhen {
    std::atomic<bool>& flag;
    std::thread thread;
    InterruptWhen(std::atomic<bool>& f, std::function<bool()> ready)
        : flag(f)
        , thread([this, ready] {
            for (int i = 0; i < 3000 && !ready(); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            flag = true;
        })
    {}
    ~InterruptWhen() { thread.join(); }
};

/// Sets `flag` after `ms` on a thread of its own (the waits under test block this one).
struct DelayedInterrupt {
    std::atomic<bool>& flag;
    std::thread thread;
    DelayedInterrupt(std::atomic<bool>& f, int ms)
        : flag(f)
        , thread([this, ms] {
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            flag = true;
        })
    {}
    ~DelayedInterrupt() { thread.join(); }
};

} // namespace

class TestWorkerProcess : public QObject {
    Q_OBJECT
private slots:
    void init() { QVERIFY(m_dir.isValid()); }

    // A worker that exits (or crashes) leaves its children in its process group: they are killed
    // with it, not left as one orphan per trial.
    void crashedWorkerLeavesNoChild_data()
    {
        QTest::addColumn<QString>("fault");
        QTest::newRow("exit") << QStringLiteral("--exit-on");
        QTest::newRow("segfault") << QStringLiteral("--segv-on");
        QTest::newRow("hang") << QStringLiteral("--hang-on");
    }

    void crashedWorkerLeavesNoChild()
    {
        QFETCH(QString, fault);
        const QString pidFile = m_dir.filePath(QStringLiteral("crash-%1.pid").arg(QString::fromLatin1(QTest::currentDataTag())));
        WorkerOptions o = options({QStringLiteral("--fork-child"), pidFile, fault, QStringLiteral("{\"VEC\":4}")});
        o.trialTimeoutMs = 500;
        auto device = WorkerDevice::open(o);
        QVERIFY2(device, qPrintable(device.error()));
        const auto [child, worker] = forkedPids(pidFile);
        QVERIFY(child > 0 && worker > 0);
        QVERIFY(alive(child));
        const Measurement m = device.value()->evaluate(cfg(64, 2, 4));
        QVERIFY2(m.status == Status::Crashed || m.status == Status::Timeout, qPrintable(m.error));
        QTRY_VERIFY_WITH_TIMEOUT(!alive(worker), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child), 5000);
        // The next trial starts a fresh worker (with a fresh child), which works.
        QVERIFY(device.value()->evaluate(cfg(64, 2, 2)).isOk());
        const auto [child2, worker2] = forkedPids(pidFile);
        QVERIFY(child2 != child && alive(child2));
        device.value().reset();
        QTRY_VERIFY_WITH_TIMEOUT(!alive(worker2), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child2), 5000);
    }

    // A worker that exits cleanly after `shutdown` still has its children killed; one that
    // ignores `shutdown` is killed after the shutdown timeout.
    void shutdownLeavesNothing_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("answers bye") << QStringLiteral("normal");
        QTest::newRow("ignores shutdown") << QStringLiteral("hang");
    }

    void shutdownLeavesNothing()
    {
        QFETCH(QString, mode);
        const QString pidFile = m_dir.filePath(QStringLiteral("shutdown-%1.pid").arg(mode));
        WorkerOptions o = options({QStringLiteral("--fork-child"), pidFile, QStringLiteral("--shutdown"), mode});
        o.shutdownTimeoutMs = 300;
        auto device = WorkerDevice::open(o);
        QVERIFY2(device, qPrintable(device.error()));
        QVERIFY(device.value()->evaluate(cfg(64, 2, 2)).isOk());
        const auto [child, worker] = forkedPids(pidFile);
        QVERIFY(alive(child) && alive(worker));
        device.value().reset(); // returns after at most the shutdown timeout
        QTRY_VERIFY_WITH_TIMEOUT(!alive(worker), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child), 5000);
    }

    // Every phase has its own deadline, named in the error; a hang in any of them kills the worker.
    void phaseTimeoutsAreNamed_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("error");
        QTest::newRow("hello") << QStringList{QStringLiteral("--hello"), QStringLiteral("silent")}
                               << QStringLiteral("no hello within 0.4 s (the start timeout)");
        QTest::newRow("load") << QStringList{QStringLiteral("--load"), QStringLiteral("hang")}
                              << QStringLiteral("no answer to load within 0.3 s (the load timeout); its last words on stderr:\n"
                                                "dejavu-test-worker: loading never ends");
    }

    void phaseTimeoutsAreNamed()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, error);
        const QString pidFile = m_dir.filePath(QStringLiteral("phase-%1.pid").arg(QString::fromLatin1(QTest::currentDataTag())));
        WorkerOptions o = options(QStringList{QStringLiteral("--fork-child"), pidFile} + args);
        o.startTimeoutMs = 400;
        o.loadTimeoutMs = 300;
        auto device = WorkerDevice::open(o);
        QVERIFY(!device);
        QVERIFY2(device.error().contains(error), qPrintable(device.error()));
        const auto [child, worker] = forkedPids(pidFile);
        QVERIFY(child > 0);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(worker), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child), 5000);
    }

    void trialTimeoutIsNamed()
    {
        WorkerOptions o = options({QStringLiteral("--hang-on"), QStringLiteral("{}")});
        o.trialTimeoutMs = 300;
        auto device = WorkerDevice::open(o);
        QVERIFY2(device, qPrintable(device.error()));
        const Measurement m = device.value()->evaluate(cfg(64, 2, 2));
        QCOMPARE(m.status, Status::Timeout);
        QVERIFY2(m.error.startsWith(QStringLiteral("no answer to evaluate within 0.3 s (the trial timeout: compile, verify and time)")),
                 qPrintable(m.error));
    }

    // timeout= in a device id bounds every phase; start_timeout= and load_timeout= override it.
    void timeoutOptionCoversEveryPhase_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<int>("start");
        QTest::addColumn<int>("load");
        QTest::addColumn<int>("trial");
        QTest::newRow("defaults") << QStringLiteral("worker:w") << 120000 << 120000 << 60000;
        QTest::newRow("timeout") << QStringLiteral("worker:timeout=2 w") << 2000 << 2000 << 2000;
        QTest::newRow("overrides, any order") << QStringLiteral("worker:load_timeout=30 timeout=2 start_timeout=0.5 w") << 500 << 30000 << 2000;
    }

    void timeoutOptionCoversEveryPhase()
    {
        QFETCH(QString, id);
        QFETCH(int, start);
        QFETCH(int, load);
        QFETCH(int, trial);
        auto o = WorkerDevice::optionsFromId(id);
        QVERIFY2(o, qPrintable(o.error()));
        QCOMPARE(o->startTimeoutMs, start);
        QCOMPARE(o->loadTimeoutMs, load);
        QCOMPARE(o->trialTimeoutMs, trial);
        QCOMPARE(o->command, QStringList{QStringLiteral("w")});
    }

    // Ctrl-C (the interrupt flag) ends the wait for a hello, for the answer to load and for a
    // hung trial at once, whatever the timeouts, and the worker and its children are killed.
    void interruptEndsEveryWait_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("duringOpen");
        QTest::addColumn<QString>("waitingFor"); // the request the worker got before the interrupt
        QTest::addColumn<QString>("error");
        QTest::newRow("hello") << QStringList{QStringLiteral("--hello"), QStringLiteral("silent")} << true << QString()
                               << QStringLiteral("interrupted while waiting for its hello");
        QTest::newRow("load") << QStringList{QStringLiteral("--load"), QStringLiteral("hang")} << true << QStringLiteral("load")
                              << QStringLiteral("interrupted while waiting for its answer to load");
        QTest::newRow("hung trial") << QStringList{QStringLiteral("--hang-on"), QStringLiteral("{}")} << false << QStringLiteral("evaluate")
                                    << QStringLiteral("interrupted during the evaluation; the worker (pid ");
    }

    void interruptEndsEveryWait()
    {
        QFETCH(QStringList, args);
        QFETCH(bool, duringOpen);
        QFETCH(QString, waitingFor);
        QFETCH(QString, error);
        const QString tag = QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-'));
        const QString pidFile = m_dir.filePath(QStringLiteral("interrupt-%1.pid").arg(tag));
        const QString trace = m_dir.filePath(QStringLiteral("interrupt-%1.trace").arg(tag));
        std::atomic<bool> interrupt{false};
        WorkerOptions o = options(QStringList{QStringLiteral("--fork-child"), pidFile, QStringLiteral("--trace"), trace} + args);
        o.interrupt = &interrupt;
        auto ready = [=] {
            return forkedPids(pidFile).first > 0 && (waitingFor.isEmpty() || traced(trace, waitingFor.toUtf8()) > 0);
        };
        if (duringOpen) {
            InterruptWhen later(interrupt, ready);
            auto opened = WorkerDevice::open(o);
            QVERIFY(!opened);
            QVERIFY2(opened.error().contains(error), qPrintable(opened.error()));
        } else {
            auto opened = WorkerDevice::open(o);
            QVERIFY2(opened, qPrintable(opened.error()));
            std::unique_ptr<WorkerDevice> device = std::move(opened.value());
            InterruptWhen later(interrupt, ready);
            const Measurement m = device->evaluate(cfg(64, 2, 2));
            QVERIFY(device->evaluationInterrupted());
            QVERIFY2(m.error.startsWith(error), qPrintable(m.error));
            QCOMPARE(device->workerPid(), 0);
            // Once interrupted, nothing more is started.
            device->evaluate(cfg(32, 2, 2));
            QVERIFY(device->evaluationInterrupted());
            QCOMPARE(device->workerPid(), 0);
        }
        const auto [child, worker] = forkedPids(pidFile);
        QVERIFY(child > 0);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(worker), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child), 5000);
    }

    // A session whose trial hangs ends at Ctrl-C with its finished trials stored, the hung one
    // not stored (it measured nothing), and stays resumable.
    void interruptedSessionKeepsFinishedTrials()
    {
        std::atomic<bool> interrupt{false};
        // Grid order: BLOCK=16 UNROLL=1 VEC=1, VEC=2, then VEC=4 hangs.
        const QString trace = m_dir.filePath(QStringLiteral("session.trace"));
        WorkerOptions o = options({QStringLiteral("--trace"), trace, QStringLiteral("--hang-on"), QStringLiteral("{\"VEC\":4}")});
        o.interrupt = &interrupt;
        auto opened = WorkerDevice::open(o);
        QVERIFY2(opened, qPrintable(opened.error()));
        std::shared_ptr<WorkerDevice> device(std::move(opened.value()));
        auto store = ResultStore::open(m_dir.filePath(QStringLiteral("interrupted.sqlite")));
        QVERIFY2(store, qPrintable(store.error()));
        SessionOptions so{QStringLiteral("grid"), {}, 0, 10, 0};
        auto session = Session::create(*store.value(), device, so);
        QVERIFY2(session, qPrintable(session.error()));
        Session* s = session.value().get();
        // Once the third evaluation (the one that hangs) has reached the worker.
        InterruptWhen later(interrupt, [=] { return traced(trace, "evaluate") == 3; });
        auto reason = s->run();
        QVERIFY2(reason, qPrintable(reason.error()));
        QCOMPARE(reason.value(), QStringLiteral("stopped"));
        auto trials = store.value()->trials(s->id());
        QVERIFY2(trials, qPrintable(trials.error()));
        QCOMPARE(trials->size(), 2);
        for (const Trial& t : trials.value())
            QVERIFY2(t.measurement.isOk(), qPrintable(t.measurement.error));
        auto record = store.value()->session(s->id());
        QCOMPARE(record->state, QStringLiteral("stopped"));
        QCOMPARE(device->workerPid(), 0);
    }

    // A worker announcing a space too large to enumerate is refused with the limit named.
    void hugeSpaceIsRefused()
    {
        auto device = WorkerDevice::open(options({QStringLiteral("--load"), QStringLiteral("huge-space")}));
        QVERIFY(!device);
        QVERIFY2(device.error().contains(QStringLiteral("protocol error: loaded.space: enumerating the space examined more than "
                                                        "100000000 combinations that are not valid configurations (the limit)")),
                 qPrintable(device.error()));
    }

    // A line without end is cut at the protocol's limit, named in the error.
    void endlessLineIsRefused()
    {
        auto device = WorkerDevice::open(options({QStringLiteral("--hello"), QStringLiteral("flood")}));
        QVERIFY(!device);
        QVERIFY2(device.error().contains(QStringLiteral("protocol error: a line longer than 67108864 bytes (the protocol's limit) "
                                                        "instead of its hello")),
                 qPrintable(device.error()));
    }

    // WorkerProcess alone: a process that exits leaves its group to be killed.
    void killReachesTheGroupOfAnExitedProcess()
    {
        const QString pidFile = m_dir.filePath(QStringLiteral("sh.pid"));
        WorkerProcess p;
        // The shell starts a sleeper in its group, writes its pid and exits at once.
        QVERIFY(p.start({QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                         QStringLiteral("sleep 1000 >/dev/null 2>&1 & echo $! > '%1'; echo started").arg(pidFile)},
                        QDeadlineTimer(5000)));
        QByteArray line;
        QCOMPARE(p.readLine(line, QDeadlineTimer(5000)), WorkerProcess::ReadOutcome::Line);
        QCOMPARE(line, QByteArray("started"));
        QCOMPARE(p.readLine(line, QDeadlineTimer(5000)), WorkerProcess::ReadOutcome::Exited);
        QFile f(pidFile);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const qint64 pid = f.readAll().trimmed().toLongLong();
        QVERIFY(pid > 0);
        QVERIFY(alive(pid));
        p.kill();
        QTRY_VERIFY_WITH_TIMEOUT(!alive(pid), 5000);
    }

    // WorkerProcess alone: the interrupt flag ends a wait that has no deadline.
    void interruptEndsAnEndlessWait()
    {
        WorkerProcess p;
        std::atomic<bool> interrupt{false};
        p.setInterruptFlag(&interrupt);
        QVERIFY(p.start({QStringLiteral("/bin/sh"), QStringLiteral("-c"), QStringLiteral("exec sleep 1000")}, QDeadlineTimer(5000)));
        const qint64 pid = p.pid();
        QByteArray line;
        {
            DelayedInterrupt later(interrupt, 200);
            QCOMPARE(p.readLine(line, QDeadlineTimer(QDeadlineTimer::Forever)), WorkerProcess::ReadOutcome::Interrupted);
        }
        QVERIFY(alive(pid)); // interrupting a wait does not kill by itself ...
        p.kill();            // ... the caller does
        QTRY_VERIFY_WITH_TIMEOUT(!alive(pid), 5000);
    }

    // The engine killed outright (kill -9) takes its worker with it (PR_SET_PDEATHSIG).
    void workerDiesWithTheEngine()
    {
        const QString pidFile = m_dir.filePath(QStringLiteral("engine.pid"));
        QProcess engine;
        engine.setProcessChannelMode(QProcess::MergedChannels);
        engine.start(QStringLiteral(DEJAVU_TUNE_PATH),
                     {QStringLiteral("tune"), QStringLiteral("--db"), m_dir.filePath(QStringLiteral("engine.sqlite")), QStringLiteral("--device"),
                      QStringLiteral("worker:'%1' --fork-child '%2' --hang-on '{}'").arg(kWorker, pidFile), QStringLiteral("--budget"),
                      QStringLiteral("3"), QStringLiteral("--quiet")});
        QVERIFY(engine.waitForStarted(10000));
        QByteArray said;
        // "session N: ..." comes just before the first trial, which hangs.
        QTRY_VERIFY_WITH_TIMEOUT((said += engine.readAll()).contains("session "), 20000);
        const auto [child, worker] = forkedPids(pidFile);
        QVERIFY(alive(worker));
        ::kill(pid_t(engine.processId()), SIGKILL);
        QVERIFY(engine.waitForFinished(10000));
        QTRY_VERIFY_WITH_TIMEOUT(!alive(worker), 5000);
        // What the worker started is beyond the kernel's reach then (docs/worker-protocol.md).
        if (alive(child))
            ::kill(pid_t(child), SIGKILL);
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestWorkerProcess)
#include "tst_workerprocess.moc"
