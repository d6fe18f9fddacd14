#include "device/DeviceRegistry.h"
#include "device/WorkerDevice.h"
#include "device/WorkerProtocol.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <cerrno>
#include <cmath>

#include <signal.h>

using namespace dv;

namespace {

const QString kWorker = QStringLiteral(DEJAVU_TEST_WORKER_PATH);

QJsonObject cfg(int block, int unroll, int vec)
{
    return QJsonObject{{QStringLiteral("BLOCK"), block}, {QStringLiteral("UNROLL"), unroll}, {QStringLiteral("VEC"), vec}};
}

QString json(const QJsonObject& o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

WorkerOptions options(QStringList args = {})
{
    WorkerOptions o;
    o.command = QStringList{kWorker} + args;
    o.trialTimeoutMs = 1000;
    o.startTimeoutMs = 5000;
    o.evaluate.repetitions = 5;
    o.evaluate.maxRepetitions = 20;
    o.evaluate.minTimeMs = 0;
    return o;
}

std::unique_ptr<WorkerDevice> openWorker(const WorkerOptions& o)
{
    auto device = WorkerDevice::open(o);
    if (!device)
        qFatal("%s", qPrintable(device.error()));
    return std::move(device.value());
}

bool processExists(qint64 pid)
{
    return ::kill(pid_t(pid), 0) == 0 || errno != ESRCH;
}

} // namespace

class TestWorkerDevice : public QObject {
    Q_OBJECT
private slots:
    void roundTrip()
    {
        auto device = openWorker(options());
        const DeviceInfo info = device->info();
        QCOMPARE(info.id, QStringLiteral("test:0"));
        QCOMPARE(info.name, QStringLiteral("Synthetic Test Device"));
        QCOMPARE(info.backend, QStringLiteral("test"));
        QCOMPARE(info.toolchain, QStringLiteral("test, worker 1.0, kernel synthetic@1"));
        QCOMPARE(info.details.value(QStringLiteral("kernel_identity")).toString(), QStringLiteral("synthetic@1"));
        QCOMPARE(info.details.value(QStringLiteral("gpu")).toObject().value(QStringLiteral("multiprocessors")).toInt(), 4);
        const Workload& w = device->workload();
        QCOMPARE(w.kernel, QStringLiteral("synthetic"));
        QCOMPARE(w.problem, QStringLiteral("{\"n\":1024}"));
        QCOMPARE(w.space.size(), 57); // 5 x 4 x 3 minus BLOCK=256, UNROLL=8
        QCOMPARE(device->hello().backend, QStringLiteral("test"));
        QCOMPARE(device->hello().pid, device->workerPid());
        QCOMPARE(device->workerStarts(), 1);

        const Measurement m = device->evaluate(cfg(64, 2, 2));
        QVERIFY2(m.isOk(), qPrintable(m.error));
        QCOMPARE(m.samplesMs.size(), 5);
        QVERIFY(m.objectiveMs > 0.04 && m.objectiveMs < 0.06);
        QCOMPARE(m.compileTimeMs, 24.0);
        QCOMPARE(m.extra.value(QStringLiteral("registers")).toInt(), 48);
        QCOMPARE(m.extra.value(QStringLiteral("clock_mhz")).toDouble(), 1980.0);
        QVERIFY(m.extra.value(QStringLiteral("p20_ms")).toDouble() <= m.objectiveMs);
        QVERIFY(m.extra.value(QStringLiteral("p80_ms")).toDouble() >= m.objectiveMs);
        // The smooth landscape: a far corner is slower.
        QVERIFY(device->evaluate(cfg(16, 8, 4)).objectiveMs > m.objectiveMs);
        QCOMPARE(device->workerStarts(), 1);
    }

    void problemAndShutdown()
    {
        WorkerOptions o = options();
        o.problem = QJsonObject{{QStringLiteral("n"), 4096}};
        o.id = QStringLiteral("my-worker");
        auto device = openWorker(o);
        QCOMPARE(device->workload().problem, QStringLiteral("{\"n\":4096}"));
        QCOMPARE(device->info().id, QStringLiteral("my-worker"));
        const qint64 pid = device->workerPid();
        QVERIFY(processExists(pid));
        device.reset();
        QVERIFY(!processExists(pid));
    }

    void invalidConfigurationCostsNoRoundTrip()
    {
        auto device = openWorker(options());
        const qint64 pid = device->workerPid();
        const Measurement m = device->evaluate(cfg(256, 8, 1));
        QCOMPARE(m.status, Status::Invalid);
        QCOMPARE(m.error, QStringLiteral("configuration {\"BLOCK\":256,\"UNROLL\":8,\"VEC\":1} is not in the space of synthetic"));
        QCOMPARE(device->workerPid(), pid);
    }

    void failuresReportedByTheWorker_data()
    {
        QTest::addColumn<QString>("flag");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("error");
        QTest::newRow("wrong result") << QStringLiteral("--wrong-on") << int(Status::WrongResult)
                                      << QStringLiteral("output differs from the reference: max abs error 0.5 at index 17 (tolerance 0.001)");
        QTest::newRow("compile error") << QStringLiteral("--compile-error-on") << int(Status::CompileError)
                                       << QStringLiteral("synthetic.cu(42): error: too many unrolled iterations (UNROLL=4)");
        QTest::newRow("runtime error") << QStringLiteral("--runtime-error-on") << int(Status::RuntimeError)
                                       << QStringLiteral("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: too many resources requested for launch");
        QTest::newRow("error reply") << QStringLiteral("--error-reply-on") << int(Status::RuntimeError)
                                     << QStringLiteral("worker error internal: the kernel cache is corrupt");
    }

    void failuresReportedByTheWorker()
    {
        QFETCH(QString, flag);
        QFETCH(int, status);
        QFETCH(QString, error);
        auto device = openWorker(options({flag, QStringLiteral("{\"UNROLL\":4}")}));
        const qint64 pid = device->workerPid();
        const Measurement m = device->evaluate(cfg(32, 4, 1));
        QCOMPARE(int(m.status), status);
        QCOMPARE(m.error, error);
        QVERIFY(!m.isOk());
        QVERIFY(std::isnan(m.objectiveMs));
        // The worker stays: only that configuration failed.
        QCOMPARE(device->workerPid(), pid);
        QVERIFY(device->evaluate(cfg(32, 2, 1)).isOk());
        QCOMPARE(device->workerStarts(), 1);
    }

    void crashRestartsTheWorker_data()
    {
        QTest::addColumn<QString>("flag");
        QTest::addColumn<QString>("how");
        QTest::addColumn<QString>("lastWords");
        QTest::newRow("segfault") << QStringLiteral("--segv-on") << QStringLiteral("was killed by signal 11 (Segmentation fault)")
                                  << QStringLiteral("dejavu-test-worker: CUDA error: an illegal memory access was encountered (address 0x0) for {\"BLOCK\":128,\"UNROLL\":1,\"VEC\":2}");
        QTest::newRow("abort") << QStringLiteral("--abort-on") << QStringLiteral("was killed by signal 6 (Aborted)")
                               << QStringLiteral("dejavu-test-worker: assertion 'tile < shared_size' failed for {\"BLOCK\":128,\"UNROLL\":1,\"VEC\":2}");
        QTest::newRow("exit") << QStringLiteral("--exit-on") << QStringLiteral("exited with code 3")
                              << QStringLiteral("dejavu-test-worker: fatal: giving up on {\"BLOCK\":128,\"UNROLL\":1,\"VEC\":2}");
    }

    void crashRestartsTheWorker()
    {
        QFETCH(QString, flag);
        QFETCH(QString, how);
        QFETCH(QString, lastWords);
        auto device = openWorker(options({flag, QStringLiteral("{\"BLOCK\":128}")}));
        const qint64 first = device->workerPid();
        QVERIFY(device->evaluate(cfg(64, 1, 2)).isOk());

        const Measurement m = device->evaluate(cfg(128, 1, 2));
        QCOMPARE(m.status, Status::Crashed);
        QCOMPARE(m.error, QStringLiteral("the worker (pid %1) %2 during the evaluation; its last words on stderr:\n"
                                         "dejavu-test-worker: evaluating {\"BLOCK\":64,\"UNROLL\":1,\"VEC\":2}\n"
                                         "dejavu-test-worker: evaluating {\"BLOCK\":128,\"UNROLL\":1,\"VEC\":2}\n%3")
                              .arg(first).arg(how, lastWords));
        QCOMPARE(device->workerPid(), 0);
        QVERIFY(!processExists(first));

        // The next evaluation starts a fresh worker (hello and load again) and works.
        const Measurement next = device->evaluate(cfg(64, 2, 2));
        QVERIFY2(next.isOk(), qPrintable(next.error));
        QCOMPARE(device->workerStarts(), 2);
        QVERIFY(device->workerPid() != first);
        QVERIFY(device->workerPid() > 0);
        // And a second crash is handled the same way.
        QCOMPARE(device->evaluate(cfg(128, 2, 1)).status, Status::Crashed);
        QVERIFY(device->evaluate(cfg(32, 2, 1)).isOk());
        QCOMPARE(device->workerStarts(), 3);
    }

    void hangIsKilledAtTheTimeout()
    {
        auto device = openWorker(options({QStringLiteral("--hang-on"), QStringLiteral("{\"VEC\":4}")}));
        const qint64 pid = device->workerPid();
        QElapsedTimer clock;
        clock.start();
        const Measurement m = device->evaluate(cfg(64, 2, 4));
        const qint64 elapsed = clock.elapsed();
        QCOMPARE(m.status, Status::Timeout);
        QCOMPARE(m.error, QStringLiteral("no answer to evaluate within 1 s (the trial timeout: compile, verify and time); "
                                         "the worker (pid %1) was killed; its last words on stderr:\n"
                                         "dejavu-test-worker: evaluating {\"BLOCK\":64,\"UNROLL\":2,\"VEC\":4}\n"
                                         "dejavu-test-worker: launched {\"BLOCK\":64,\"UNROLL\":2,\"VEC\":4}; it never returns")
                              .arg(pid));
        QVERIFY2(elapsed >= 1000 && elapsed < 3000, qPrintable(QString::number(elapsed)));
        QVERIFY(!processExists(pid));
        QCOMPARE(device->workerPid(), 0);

        device->setTrialTimeoutMs(300);
        clock.restart();
        QCOMPARE(device->evaluate(cfg(32, 1, 4)).status, Status::Timeout);
        QVERIFY(clock.elapsed() < 2000); // includes starting a fresh worker
        const Measurement next = device->evaluate(cfg(64, 2, 2));
        QVERIFY2(next.isOk(), qPrintable(next.error));
        QCOMPARE(device->workerStarts(), 3);
    }

    void malformedAnswerRestartsTheWorker_data()
    {
        QTest::addColumn<QString>("flag");
        QTest::addColumn<QString>("problem");
        QTest::newRow("garbage line") << QStringLiteral("--garbage-on")
                                      << QStringLiteral("not JSON (illegal value at column 1): \"Segmentation fault (core dumped)? no: just a stray print from a library\"");
        QTest::newRow("bad status") << QStringLiteral("--bad-measurement-on")
                                    << QStringLiteral("measurement.status: unknown status 'fast' (expected ok, invalid, compile_error, runtime_error, wrong_result, timeout, crashed)");
        QTest::newRow("stale id") << QStringLiteral("--stale-id-on")
                                  << QStringLiteral("measurement: answers request 1002, but request 2 is waiting");
    }

    void malformedAnswerRestartsTheWorker()
    {
        QFETCH(QString, flag);
        QFETCH(QString, problem);
        auto device = openWorker(options({flag, QStringLiteral("{\"UNROLL\":1}")}));
        const qint64 pid = device->workerPid();
        const Measurement m = device->evaluate(cfg(64, 1, 1));
        QCOMPARE(m.status, Status::Crashed);
        QCOMPARE(m.error, QStringLiteral("protocol error: %1; the worker (pid %2) was killed; its last words on stderr:\n"
                                         "dejavu-test-worker: evaluating {\"BLOCK\":64,\"UNROLL\":1,\"VEC\":1}")
                              .arg(problem).arg(pid));
        QVERIFY(!processExists(pid));
        QVERIFY(device->evaluate(cfg(64, 2, 1)).isOk());
        QCOMPARE(device->workerStarts(), 2);
    }

    void openFailures_data()
    {
        QTest::addColumn<QStringList>("command");
        QTest::addColumn<QString>("kernel");
        QTest::addColumn<QJsonObject>("problem");
        QTest::addColumn<int>("device");
        QTest::addColumn<QString>("error");
        const QString who = QStringLiteral("worker '") + kWorker;
        QTest::newRow("garbage hello") << QStringList{kWorker, QStringLiteral("--hello"), QStringLiteral("garbage")} << QString() << QJsonObject() << 0
                                       << who + QStringLiteral(" --hello garbage': protocol error: expected a hello message: not JSON (illegal value at column 1): \"Welcome to the test worker!\" (nothing on stderr)");
        QTest::newRow("other version") << QStringList{kWorker, QStringLiteral("--hello"), QStringLiteral("version")} << QString() << QJsonObject() << 0
                                       << who + QStringLiteral(" --hello version': protocol error: the worker speaks protocol version 99; this program speaks version 1 (nothing on stderr)");
        QTest::newRow("dies at start") << QStringList{kWorker, QStringLiteral("--hello"), QStringLiteral("die")} << QString() << QJsonObject() << 0
                                       << who + QStringLiteral(" --hello die': exited with code 2 before its hello; its last words on stderr:\n"
                                                               "dejavu-test-worker: cannot initialise the device: no CUDA-capable device is detected");
        QTest::newRow("silent") << QStringList{kWorker, QStringLiteral("--hello"), QStringLiteral("silent")} << QString() << QJsonObject() << 0
                                << who + QStringLiteral(" --hello silent': no hello within 1 s (the start timeout) (nothing on stderr)");
        QTest::newRow("unknown kernel") << QStringList{kWorker} << QStringLiteral("gemm") << QJsonObject() << 0
                                        << who + QStringLiteral("': cannot load kernel 'gemm' with problem {}: unknown_kernel: unknown kernel 'gemm' (this worker has: synthetic) (nothing on stderr)");
        QTest::newRow("bad problem") << QStringList{kWorker} << QString() << QJsonObject{{QStringLiteral("m"), 3}} << 0
                                     << who + QStringLiteral("': cannot load kernel '(default)' with problem {\"m\":3}: bad_problem: problem.m: expected n, an integer >= 1 (nothing on stderr)");
        QTest::newRow("no such device") << QStringList{kWorker} << QString() << QJsonObject() << 1
                                        << who + QStringLiteral("': has no device 1 (it announces 1) (nothing on stderr)");
    }

    void openFailures()
    {
        QFETCH(QStringList, command);
        QFETCH(QString, kernel);
        QFETCH(QJsonObject, problem);
        QFETCH(int, device);
        QFETCH(QString, error);
        WorkerOptions o = options();
        o.command = command;
        o.kernel = kernel;
        o.problem = problem;
        o.device = device;
        o.startTimeoutMs = 1000;
        auto opened = WorkerDevice::open(o);
        QVERIFY(!opened);
        QCOMPARE(opened.error(), error);
    }

    void missingProgram()
    {
        WorkerOptions o = options();
        o.command = QStringList{QStringLiteral("/nonexistent/dejavu-cuda-worker")};
        auto opened = WorkerDevice::open(o);
        QVERIFY(!opened);
        // Qt words the system error itself ("execvp: No such file or directory").
        QVERIFY2(opened.error().startsWith(QStringLiteral("worker '/nonexistent/dejavu-cuda-worker': cannot start '/nonexistent/dejavu-cuda-worker': ")),
                 qPrintable(opened.error()));
        QVERIFY2(opened.error().endsWith(QStringLiteral("No such file or directory")), qPrintable(opened.error()));
        o.command.clear();
        QCOMPARE(WorkerDevice::open(o).error(), QStringLiteral("the worker command line is empty"));
    }

    void idParsing_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QStringList>("command");
        QTest::addColumn<QString>("kernel");
        QTest::addColumn<QString>("problem");
        QTest::addColumn<int>("timeoutMs");
        QTest::newRow("plain") << QStringLiteral("worker:dejavu-cuda-worker --verbose")
                               << QStringList{QStringLiteral("dejavu-cuda-worker"), QStringLiteral("--verbose")} << QString() << QStringLiteral("{}") << 60000;
        QTest::newRow("options and ssh")
            << QStringLiteral("worker:kernel=gemm 'problem={\"M\": 4096}' timeout=2.5 ssh gpu-host \"/opt/dejavu/bin/dejavu-cuda-worker\" --x='a b'")
            << QStringList{QStringLiteral("ssh"), QStringLiteral("gpu-host"), QStringLiteral("/opt/dejavu/bin/dejavu-cuda-worker"), QStringLiteral("--x=a b")}
            << QStringLiteral("gemm") << QStringLiteral("{\"M\":4096}") << 2500;
        QTest::newRow("escapes") << QStringLiteral("worker:my\\ worker \"say \\\"hi\\\"\"")
                                 << QStringList{QStringLiteral("my worker"), QStringLiteral("say \"hi\"")} << QString() << QStringLiteral("{}") << 60000;
    }

    void idParsing()
    {
        QFETCH(QString, id);
        QFETCH(QStringList, command);
        QFETCH(QString, kernel);
        QFETCH(QString, problem);
        QFETCH(int, timeoutMs);
        auto o = WorkerDevice::optionsFromId(id);
        QVERIFY2(o, qPrintable(o.error()));
        QCOMPARE(o->command, command);
        QCOMPARE(o->kernel, kernel);
        QCOMPARE(json(o->problem), problem);
        QCOMPARE(o->trialTimeoutMs, timeoutMs);
        QCOMPARE(o->id, id);
    }

    void badIds_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QString>("error");
        QTest::newRow("no command") << QStringLiteral("worker:kernel=gemm")
                                    << QStringLiteral("device 'worker:kernel=gemm': no worker command (expected 'worker:[OPTIONS] COMMAND [ARGS...]')");
        QTest::newRow("empty") << QStringLiteral("worker:") << QStringLiteral("device 'worker:': no worker command (expected 'worker:[OPTIONS] COMMAND [ARGS...]')");
        QTest::newRow("unknown option") << QStringLiteral("worker:CUDA_VISIBLE_DEVICES=1 w")
                                        << QStringLiteral("device 'worker:CUDA_VISIBLE_DEVICES=1 w': CUDA_VISIBLE_DEVICES=1: unknown option (expected kernel, problem, device, gpus, gpu_env, timeout, start_timeout, "
                                                          "load_timeout or prepare before the command; to set environment variables, start the command with 'env')");
        QTest::newRow("unknown lower-case option") << QStringLiteral("worker:kernal=gemm w")
                                                   << QStringLiteral("device 'worker:kernal=gemm w': kernal=gemm: unknown option (expected kernel, problem, device, gpus, gpu_env, timeout, start_timeout, "
                                                                      "load_timeout or prepare before the command; to set environment variables, start the command with 'env')");
        QTest::newRow("bad problem") << QStringLiteral("worker:problem={M:1} w")
                                     << QStringLiteral("device 'worker:problem={M:1} w': problem={M:1}: problem:1:3: invalid JSON: unterminated object");
        QTest::newRow("bad timeout") << QStringLiteral("worker:timeout=-1 w")
                                     << QStringLiteral("device 'worker:timeout=-1 w': timeout=-1: expected a number of seconds > 0 (at most 86400)");
        QTest::newRow("bad device") << QStringLiteral("worker:device=gpu w")
                                    << QStringLiteral("device 'worker:device=gpu w': device=gpu: expected a device index (0, 1, ...)");
        QTest::newRow("bad gpu list") << QStringLiteral("worker:gpus=0-x w")
                                      << QStringLiteral("device 'worker:gpus=0-x w': gpus=0-x: '0-x': expected GPU indices such as 0-7 or 0,2,3");
        QTest::newRow("a gpu twice") << QStringLiteral("worker:gpus=0-2,1 w")
                                     << QStringLiteral("device 'worker:gpus=0-2,1 w': gpus=0-2,1: GPU 1 is named twice (two slots on one GPU would disturb each other's timing)");
        QTest::newRow("bad gpu_env") << QStringLiteral("worker:gpu_env=PATH w")
                                     << QStringLiteral("device 'worker:gpu_env=PATH w': gpu_env=PATH: expected CUDA_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, device");
        QTest::newRow("open quote") << QStringLiteral("worker:w 'oops")
                                    << QStringLiteral("device 'worker:w 'oops': unterminated single quote at column 3");
    }

    void badIds()
    {
        QFETCH(QString, id);
        QFETCH(QString, error);
        auto o = WorkerDevice::optionsFromId(id);
        QVERIFY(!o);
        QCOMPARE(o.error(), error);
    }

    void registryOpensWorkers()
    {
        const QString id = QStringLiteral("worker:'problem={\"n\": 2048}' timeout=1 '%1' --wrong-on '{\"VEC\": 1}'").arg(kWorker);
        auto device = DeviceRegistry::open(id);
        QVERIFY2(device, qPrintable(device.error()));
        QCOMPARE(device.value()->info().id, id);
        QCOMPARE(device.value()->workload().problem, QStringLiteral("{\"n\":2048}"));
        QCOMPARE(device.value()->evaluate(cfg(64, 2, 1)).status, Status::WrongResult);
        QVERIFY(device.value()->evaluate(cfg(64, 2, 2)).isOk());

        auto missing = DeviceRegistry::open(QStringLiteral("worker:/nonexistent/worker"));
        QVERIFY(!missing);
        QVERIFY2(missing.error().startsWith(QStringLiteral("worker '/nonexistent/worker': cannot start '/nonexistent/worker': ")),
                 qPrintable(missing.error()));
        // Replay ids are untouched.
        QVERIFY(DeviceRegistry::open(QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096")));
    }

    void evaluateFromAnotherThread()
    {
        auto device = openWorker(options({QStringLiteral("--segv-on"), QStringLiteral("{\"BLOCK\":16}")}));
        Measurement ok;
        Measurement crashed;
        Measurement after;
        std::unique_ptr<QThread> thread(QThread::create([&] {
            ok = device->evaluate(cfg(64, 2, 2));
            crashed = device->evaluate(cfg(16, 2, 2));
            after = device->evaluate(cfg(32, 2, 2));
        }));
        thread->start();
        QVERIFY(thread->wait(20000));
        QVERIFY2(ok.isOk(), qPrintable(ok.error));
        QCOMPARE(crashed.status, Status::Crashed);
        QVERIFY2(after.isOk(), qPrintable(after.error));
        QCOMPARE(device->workerStarts(), 2);
    }

    // A whole session over a space where some configurations crash, hang, abort and give wrong
    // results: it spends its budget, records every status and never takes a failure as best.
    void sessionSurvivesFaults()
    {
        WorkerOptions o = options({
            QStringLiteral("--wrong-on"), QStringLiteral("{\"BLOCK\":64,\"UNROLL\":2,\"VEC\":2}"), // the true optimum
            QStringLiteral("--segv-on"), QStringLiteral("{\"BLOCK\":64,\"UNROLL\":4,\"VEC\":2}"),  // the runner-up
            QStringLiteral("--hang-on"), QStringLiteral("{\"BLOCK\":16,\"UNROLL\":8,\"VEC\":4}"),
            QStringLiteral("--abort-on"), QStringLiteral("{\"BLOCK\":256,\"UNROLL\":1}"),
            QStringLiteral("--compile-error-on"), QStringLiteral("{\"BLOCK\":32,\"UNROLL\":8}"),
            QStringLiteral("--garbage-on"), QStringLiteral("{\"BLOCK\":128,\"UNROLL\":8,\"VEC\":1}"),
        });
        o.trialTimeoutMs = 1000;
        std::shared_ptr<WorkerDevice> device = openWorker(o);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto store = ResultStore::open(dir.filePath(QStringLiteral("results.sqlite")));
        QVERIFY2(store, qPrintable(store.error()));
        SessionOptions so;
        so.strategy = QStringLiteral("random");
        so.seed = 7;
        auto session = Session::create(*store.value(), device, so);
        QVERIFY2(session, qPrintable(session.error()));
        QSignalSpy finished(session.value().get(), &Session::finished);
        QElapsedTimer clock;
        clock.start();
        auto reason = session.value()->run();
        QVERIFY2(reason, qPrintable(reason.error()));
        QCOMPARE(reason.value(), QStringLiteral("exhausted"));
        QCOMPARE(finished.count(), 1);
        QVERIFY2(clock.elapsed() < 20000, qPrintable(QString::number(clock.elapsed())));

        auto trials = store.value()->trials(session.value()->id());
        QVERIFY2(trials, qPrintable(trials.error()));
        QCOMPARE(trials->size(), 57);
        QHash<int, int> counts;
        const Trial* best = nullptr;
        for (const Trial& t : trials.value()) {
            ++counts[int(t.measurement.status)];
            if (t.measurement.isOk() && (!best || t.measurement.objectiveMs < best->measurement.objectiveMs))
                best = &t;
            if (t.configKey == QLatin1String("{\"BLOCK\":64,\"UNROLL\":2,\"VEC\":2}"))
                QCOMPARE(t.measurement.status, Status::WrongResult);
            if (t.configKey == QLatin1String("{\"BLOCK\":16,\"UNROLL\":8,\"VEC\":4}"))
                QCOMPARE(t.measurement.status, Status::Timeout);
        }
        QCOMPARE(counts.value(int(Status::WrongResult)), 1);
        QCOMPARE(counts.value(int(Status::Timeout)), 1);
        QCOMPARE(counts.value(int(Status::CompileError)), 3);
        QCOMPARE(counts.value(int(Status::Crashed)), 1 + 3 + 1); // segv, 3 aborts, garbage
        QCOMPARE(counts.value(int(Status::Ok)), 57 - 1 - 1 - 3 - 5);
        // Restarts are lazy: one more evaluation brings up the worker after a final failure.
        QVERIFY(device->evaluate(cfg(64, 2, 1)).isOk());
        QCOMPARE(device->workerStarts(), 1 + 6); // one per failure that took the worker down

        // The best is a measured configuration, never a failed one, and the store agrees.
        QVERIFY(best);
        QVERIFY(best->configKey != QLatin1String("{\"BLOCK\":64,\"UNROLL\":2,\"VEC\":2}"));
        QVERIFY(best->configKey != QLatin1String("{\"BLOCK\":64,\"UNROLL\":4,\"VEC\":2}"));
        const auto historyBest = session.value()->history().best();
        QVERIFY(historyBest.has_value());
        QCOMPARE(historyBest->objectiveMs, best->measurement.objectiveMs);
        auto record = store.value()->session(session.value()->id());
        QVERIFY2(record, qPrintable(record.error()));
        QCOMPARE(record->bestMs.value_or(-1), best->measurement.objectiveMs);
    }

    void prepareReachesAWorkerThatOffersIt()
    {
        auto device = openWorker(options({QStringLiteral("--prepare"), QStringLiteral("yes")}));
        QVERIFY(device->hello().can(WorkerProtocol::kCanPrepare));
        QCOMPARE(device->prepareAhead(), 8);
        QCOMPARE(device->info().details.value(QStringLiteral("capabilities")).toArray(), QJsonArray{QStringLiteral("prepare")});
        // Configurations outside the space are left out; the rest are announced in one request.
        device->prepare({cfg(64, 2, 2), cfg(32, 4, 1), cfg(256, 8, 1), cfg(17, 1, 1)});
        QCOMPARE(device->preparedRequests(), 1);
        QVERIFY2(device->lastPrepareError().isEmpty(), qPrintable(device->lastPrepareError()));
        const Measurement announced = device->evaluate(cfg(32, 4, 1));
        QVERIFY2(announced.isOk(), qPrintable(announced.error));
        QCOMPARE(announced.extra.value(QStringLiteral("prepared")), QJsonValue(true));
        const Measurement other = device->evaluate(cfg(16, 1, 1));
        QVERIFY2(other.isOk(), qPrintable(other.error));
        QVERIFY(!other.extra.contains(QStringLiteral("prepared")));
        QCOMPARE(device->workerStarts(), 1);
    }

    void noPrepareWithoutTheCapability()
    {
        // The test worker without --prepare answers `prepare` with an error: the engine must
        // never send it, and must work the same.
        auto device = openWorker(options());
        QCOMPARE(device->prepareAhead(), 0);
        device->prepare({cfg(64, 2, 2)});
        QCOMPARE(device->preparedRequests(), 0);
        const Measurement m = device->evaluate(cfg(64, 2, 2));
        QVERIFY2(m.isOk(), qPrintable(m.error));
        QVERIFY(!m.extra.contains(QStringLiteral("prepared")));
        // prepare=0 in the options turns it off for a worker that offers it.
        WorkerOptions o = options({QStringLiteral("--prepare"), QStringLiteral("yes")});
        o.prepareAhead = 0;
        auto off = openWorker(o);
        QCOMPARE(off->prepareAhead(), 0);
        auto fromId = WorkerDevice::optionsFromId(QStringLiteral("worker:prepare=3 w"));
        QVERIFY2(fromId, qPrintable(fromId.error()));
        QCOMPARE(fromId->prepareAhead, 3);
        auto bad = WorkerDevice::optionsFromId(QStringLiteral("worker:prepare=-1 w"));
        QVERIFY(!bad);
        QCOMPARE(bad.error(), QStringLiteral("device 'worker:prepare=-1 w': prepare=-1: expected how many configurations to announce ahead (0..1024; 0: never)"));
    }

    void aGarbledPrepareCostsOnlyARestart()
    {
        auto device = openWorker(options({QStringLiteral("--prepare"), QStringLiteral("garbage")}));
        const qint64 first = device->workerPid();
        device->prepare({cfg(64, 2, 2)});
        QVERIFY2(device->lastPrepareError().startsWith(QLatin1String("protocol error: not JSON")), qPrintable(device->lastPrepareError()));
        QCOMPARE(device->workerPid(), 0);
        QTRY_VERIFY(!processExists(first));
        const Measurement m = device->evaluate(cfg(64, 2, 2));
        QVERIFY2(m.isOk(), qPrintable(m.error));
        QCOMPARE(device->workerStarts(), 2);
    }

    void timingOptionsReachTheWorker()
    {
        auto device = openWorker(options());
        const Measurement plain = device->evaluate(cfg(64, 2, 2));
        QCOMPARE(plain.extra.value(QStringLiteral("flush_l2")), QJsonValue(true));
        QCOMPARE(plain.extra.value(QStringLiteral("graph")), QJsonValue(false));
        QVERIFY(device->setTiming(TimingOptions{false, true}));
        QCOMPARE(device->info().toolchain, QStringLiteral("test, worker 1.0, kernel synthetic@1, hot-cache, cuda-graph"));
        const Measurement timed = device->evaluate(cfg(64, 2, 2));
        QCOMPARE(timed.extra.value(QStringLiteral("flush_l2")), QJsonValue(false));
        QCOMPARE(timed.extra.value(QStringLiteral("graph")), QJsonValue(true));
        // A replay measures nothing itself and refuses them.
        auto replay = DeviceRegistry::open(QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"));
        QVERIFY2(replay, qPrintable(replay.error()));
        QVERIFY(replay.value()->setTiming(TimingOptions{}));
        auto refused = replay.value()->setTiming(TimingOptions{true, true});
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(QLatin1String("does not time kernels itself")), qPrintable(refused.error()));
    }

    void loadedExtraBecomesDeploymentDetails()
    {
        auto device = openWorker(options({QStringLiteral("--loaded-extra"),
                                          QStringLiteral("{\"deployment\":{\"triton_version\":\"3.6.0\"}}")}));
        QCOMPARE(device->loaded().extra.value(QStringLiteral("deployment")).toObject().value(QStringLiteral("triton_version")).toString(),
                 QStringLiteral("3.6.0"));
        QCOMPARE(device->info().details.value(QStringLiteral("deployment")).toObject().value(QStringLiteral("triton_version")).toString(),
                 QStringLiteral("3.6.0"));
    }

    void sessionAnnouncesItsBatches()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("prepare.sqlite")));
        QVERIFY2(store, qPrintable(store.error()));
        std::shared_ptr<WorkerDevice> device = openWorker(options({QStringLiteral("--prepare"), QStringLiteral("yes")}));
        SessionOptions so{QStringLiteral("random"), {}, 4, 20, 0};
        so.remeasureTop = 0;
        auto session = Session::create(*store.value(), device, so);
        QVERIFY2(session, qPrintable(session.error()));
        auto ended = session.value()->run();
        QVERIFY2(ended, qPrintable(ended.error()));
        auto trials = store.value()->trials(session.value()->id());
        QCOMPARE(trials->size(), 20);
        for (const Trial& t : trials.value())
            QVERIFY2(t.measurement.extra.value(QStringLiteral("prepared")) == QJsonValue(true), qPrintable(t.configKey));
        // Batches of 8, the last cut to the budget: 8 + 8 + 4.
        QCOMPARE(device->preparedRequests(), 3);

        // The same search without the capability evaluates the same configurations in the same order.
        auto plainStore = ResultStore::open(QStringLiteral(":memory:"));
        std::shared_ptr<WorkerDevice> plain = openWorker(options());
        auto again = Session::create(*plainStore.value(), plain, so);
        QVERIFY2(again, qPrintable(again.error()));
        QVERIFY(again.value()->run());
        auto plainTrials = plainStore.value()->trials(again.value()->id());
        QCOMPARE(plainTrials->size(), 20);
        for (int i = 0; i < 20; ++i)
            QCOMPARE(plainTrials->at(i).configKey, trials->at(i).configKey);
    }
};

QTEST_GUILESS_MAIN(TestWorkerDevice)
#include "tst_workerdevice.moc"
