// dejavu-tune with worker processes, run as a user would: Ctrl-C and SIGTERM end any wait and
// exit 130 and 143 with the finished trials stored; a device command line read from a store or
// a bundle is shown, never run, by every command that only reads (docs/worker-protocol.md).
#include "ProcessSupport.h"
#include "CliRun.h"
#include "TestSupport.h"
#include "device/DeviceRegistry.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <signal.h>

using namespace dv;

namespace {

const QString kWorker = QStringLiteral(DEJAVU_TEST_WORKER_PATH);

using Run = dv::test::CliRun;

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

using test::alive;
using test::forkedPids;

} // namespace

class TestCliWorkers : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFileInfo::exists(QStringLiteral(DEJAVU_TUNE_PATH)), DEJAVU_TUNE_PATH);
    }

    // Ctrl-C or SIGTERM while the worker does not say hello, hangs in load, or hangs in a trial:
    // the tool returns promptly with 130 or 143, the worker and its child are gone, and the
    // trials that finished are stored in a session left resumable.
    void signalEndsEveryWait_data()
    {
        QTest::addColumn<QStringList>("workerArgs");
        QTest::addColumn<QString>("waitFor");
        QTest::addColumn<int>("signal");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        const QStringList hello{QStringLiteral("--hello"), QStringLiteral("silent")};
        const QStringList load{QStringLiteral("--load"), QStringLiteral("hang")};
        // Grid order: BLOCK=16 UNROLL=1 with VEC=1, VEC=2, then VEC=4 hangs.
        const QStringList trial{QStringLiteral("--hang-on"), QStringLiteral("{\"VEC\":4}")};
        QTest::newRow("hello, SIGINT") << hello << QString() << SIGINT << 130 << QStringLiteral("interrupted while waiting for its hello");
        QTest::newRow("hello, SIGTERM") << hello << QString() << SIGTERM << 143 << QStringLiteral("interrupted while waiting for its hello");
        QTest::newRow("load, SIGINT") << load << QStringLiteral("load") << SIGINT << 130 << QStringLiteral("interrupted while waiting for its answer to load");
        QTest::newRow("trial, SIGINT") << trial << QStringLiteral("2 trials") << SIGINT << 130 << QStringLiteral("stopped");
        QTest::newRow("trial, SIGTERM") << trial << QStringLiteral("2 trials") << SIGTERM << 143 << QStringLiteral("stopped");
    }

    void signalEndsEveryWait()
    {
        QFETCH(QStringList, workerArgs);
        QFETCH(QString, waitFor);
        QFETCH(int, signal);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const QString tag = QString::fromLatin1(QTest::currentDataTag()).replace(QRegularExpression(QStringLiteral("[^A-Za-z]+")), QStringLiteral("-"));
        const QString pidFile = m_dir.filePath(tag + QStringLiteral(".pid"));
        const QString db = m_dir.filePath(tag + QStringLiteral(".sqlite"));
        const QString trace = m_dir.filePath(tag + QStringLiteral(".trace"));
        QStringList quoted;
        for (const QString& a : workerArgs)
            quoted.append(QLatin1Char('\'') + a + QLatin1Char('\''));
        // Long timeouts: only the signal may end these waits.
        const QString device = QStringLiteral("worker:timeout=600 '%1' --fork-child '%2' --trace '%3' %4")
                                   .arg(kWorker, pidFile, trace, quoted.join(QLatin1Char(' ')));
        QProcess tool;
        tool.setProcessChannelMode(QProcess::MergedChannels);
        tool.start(QStringLiteral(DEJAVU_TUNE_PATH), {QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--device"), device,
                                                      QStringLiteral("--strategy"), QStringLiteral("grid"), QStringLiteral("--budget"),
                                                      QStringLiteral("10"), QStringLiteral("--quiet")});
        QVERIFY(tool.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(forkedPids(pidFile).second > 0, 20000);
        QByteArray said;
        if (waitFor == QLatin1String("load")) { // the worker got its load request
            QTRY_VERIFY_WITH_TIMEOUT(readAll(trace).contains("load"), 20000);
        } else if (!waitFor.isEmpty()) { // two trials stored, and the third (which hangs) asked for
            QTRY_VERIFY_WITH_TIMEOUT(storedTrials(db) == 2, 20000);
            QTRY_VERIFY_WITH_TIMEOUT(readAll(trace).count("evaluate") == 3, 20000);
        }
        const auto [child, worker] = forkedPids(pidFile);
        QVERIFY(alive(worker) && alive(child));
        ::kill(pid_t(tool.processId()), signal);
        QVERIFY2(tool.waitForFinished(10000), "the tool did not end after the signal");
        said += tool.readAll();
        QCOMPARE(tool.exitStatus(), QProcess::NormalExit);
        QVERIFY2(tool.exitCode() == exitCode, said.constData());
        QVERIFY2(said.contains(message.toUtf8()), said.constData());
        QTRY_VERIFY_WITH_TIMEOUT(!alive(worker), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child), 5000);
        if (waitFor != QLatin1String("2 trials")) {
            QVERIFY2(!QFileInfo::exists(db), "no session was created, so no database");
            return;
        }
        // Two trials finished before the third hung: both stored, the session resumable.
        auto store = test::openStore(db);
        auto sessions = store->sessions();
        QVERIFY2(sessions && sessions->size() == 1, sessions ? "not one session" : qPrintable(sessions.error()));
        QCOMPARE(sessions->first().state, QStringLiteral("stopped"));
        QCOMPARE(sessions->first().trialCount, 2);
        QVERIFY2(said.contains("continue with: dejavu-tune tune --db"), said.constData());
    }

    // The ladder stops at the signal too, and says so in its exit status.
    void ladderExitsWithTheSignal()
    {
        const QString db = m_dir.filePath(QStringLiteral("ladder.sqlite"));
        QProcess tool;
        tool.setProcessChannelMode(QProcess::MergedChannels);
        tool.start(QStringLiteral(DEJAVU_TUNE_PATH),
                   {QStringLiteral("ladder"), QStringLiteral("--db"), db, QStringLiteral("--device"),
                    QStringLiteral("worker:timeout=600 'problem={\"n\":{key}}' '%1' --hang-on '{\"VEC\":4}'").arg(kWorker),
                    QStringLiteral("--keys"), QStringLiteral("1024,2048"), QStringLiteral("--strategy"), QStringLiteral("grid"),
                    QStringLiteral("--budget"), QStringLiteral("10")});
        QVERIFY(tool.waitForStarted(10000));
        // The first key's session starts once both workers are up; its third trial hangs.
        QTRY_VERIFY2_WITH_TIMEOUT(storedTrials(db) == 2, qPrintable(QStringLiteral("%1 trials; %2").arg(storedTrials(db)).arg(QString::fromUtf8(tool.readAll()))), 20000);
        ::kill(pid_t(tool.processId()), SIGINT);
        QVERIFY2(tool.waitForFinished(10000), "the ladder did not end after the signal");
        const QByteArray said = tool.readAll();
        QVERIFY2(tool.exitCode() == 130, said.constData());
        QVERIFY2(said.contains("interrupted after 1 of 2 keys"), said.constData());
    }

    // A store or bundle naming a command line as the device: no read-only command runs it, and
    // resuming asks for it on the command line, showing it. Given again, it is the user's.
    void storedCommandLinesAreNeverRun()
    {
        const QString dir = m_dir.filePath(QStringLiteral("hostile"));
        QVERIFY(QDir().mkpath(dir));
        const QString marker = dir + QStringLiteral("/pwned");
        const QString hostile = QStringLiteral("worker:sh -c 'touch %1'").arg(marker);
        const QString db = dir + QStringLiteral("/results.sqlite");
        // Session 1: RMSNorm (dejavu), session 2: a made-up fused MoE layer E 8, N 4096 (vLLM).
        QVERIFY(writeHostileSession(db, hostile, QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096")));
        const QString moe = test::writeMadeUpMoeDataset(dir + QStringLiteral("/moe.json"), 1024, 8, 4096, 4096);
        QVERIFY(!moe.isEmpty());
        QVERIFY(writeHostileSession(db, hostile, moe));

        const QString bundle = dir + QStringLiteral("/campaign.tar.gz");
        const QString imported = dir + QStringLiteral("/imported.sqlite");
        const QString deployment = dir + QStringLiteral("/deployment.json");
        {
            QFile f(deployment);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QJsonDocument(test::madeUpRmsnormDeployment()).toJson());
        }
        const QList<QStringList> readOnly = {
            {QStringLiteral("sessions"), QStringLiteral("--db"), db},
            {QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1"), QStringLiteral("--format"), QStringLiteral("csv"), QStringLiteral("--out"), dir + QStringLiteral("/t.csv")},
            {QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1"), QStringLiteral("--format"), QStringLiteral("kerneltuner"), QStringLiteral("--out"), dir + QStringLiteral("/t.json")},
            {QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--format"), QStringLiteral("vllm"), QStringLiteral("--experts"),
             QStringLiteral("8"), QStringLiteral("--n"), QStringLiteral("4096"), QStringLiteral("--session"), QStringLiteral("2"), QStringLiteral("--out"), dir + QStringLiteral("/vllm")},
            {QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1"), QStringLiteral("--format"), QStringLiteral("dejavu"), QStringLiteral("--deployment"),
             deployment, QStringLiteral("--out"), dir + QStringLiteral("/dejavu")},
            {QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("2"), QStringLiteral("--format"), QStringLiteral("triton-cache"), QStringLiteral("--out"), dir + QStringLiteral("/tc")},
            {QStringLiteral("ladder"), QStringLiteral("--coverage"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("1")},
            {QStringLiteral("ladder"), QStringLiteral("--coverage"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("2")},
            {QStringLiteral("bundle"), QStringLiteral("create"), QStringLiteral("--db"), db, QStringLiteral("--session"), QStringLiteral("2"), QStringLiteral("--out"), bundle},
            {QStringLiteral("bundle"), QStringLiteral("inspect"), bundle},
            {QStringLiteral("bundle"), QStringLiteral("verify"), bundle},
            {QStringLiteral("bundle"), QStringLiteral("merge"), bundle, bundle, QStringLiteral("--out"), dir + QStringLiteral("/merged.tar.gz")},
            {QStringLiteral("bundle"), QStringLiteral("import"), bundle, QStringLiteral("--db"), imported}, // the matmul as session 1
            {QStringLiteral("ladder"), QStringLiteral("--coverage"), QStringLiteral("--db"), imported, QStringLiteral("--session"), QStringLiteral("1")},
            {QStringLiteral("export"), QStringLiteral("--db"), imported, QStringLiteral("--format"), QStringLiteral("vllm"), QStringLiteral("--experts"),
             QStringLiteral("8"), QStringLiteral("--n"), QStringLiteral("4096"), QStringLiteral("--session"), QStringLiteral("1"), QStringLiteral("--out"), dir + QStringLiteral("/vllm2")},
        };
        for (const QStringList& args : readOnly) {
            const Run r = cli(args);
            // Each of these reads what it needs from the stored session; most succeed.
            if (args.first() != QLatin1String("export") || !args.contains(QStringLiteral("triton-cache")))
                QVERIFY2(r.exitCode == 0, qPrintable(args.join(QLatin1Char(' ')) + QLatin1Char('\n') + r.describe()));
            QVERIFY2(!QFileInfo::exists(marker), qPrintable(QStringLiteral("ran the stored command: ") + args.join(QLatin1Char(' '))));
        }

        // Resuming without --device: refused, naming the stored command line (from either store).
        for (const QString& store : QStringList{db, imported}) {
            const Run r = cli({QStringLiteral("tune"), QStringLiteral("--db"), store, QStringLiteral("--resume"), QStringLiteral("1")});
            QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
            QVERIFY2(r.err.contains(QStringLiteral("session 1 ran on a worker started by this command line, read from %1:\n  %2\n")
                                        .arg(store, hostile).toUtf8()),
                     qPrintable(r.describe()));
            QVERIFY2(r.err.contains("it is not run unless you give it again: --device '"), qPrintable(r.describe()));
            QVERIFY(!QFileInfo::exists(marker));
        }
        // Given again by the user, it is theirs and runs (it is no worker, so opening fails).
        const Run given = cli({QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--resume"), QStringLiteral("1"),
                               QStringLiteral("--device"), hostile});
        QVERIFY2(given.exitCode == 2, qPrintable(given.describe()));
        QVERIFY2(given.err.contains("before its hello"), qPrintable(given.describe()));
        QVERIFY(QFileInfo::exists(marker));
    }

    // A worker that crashes and then cannot be started again (its GPU taken, its host or Ray slot
    // gone): the crash is the configuration's, but the next configuration never ran, so nothing is
    // stored for it (it used to be stored as "crashed: cannot restart the worker", and every later
    // one too, never to be proposed again). The session fails, resumable; --resume completes it.
    void aDeviceThatIsGoneStoresNothingMore()
    {
        const QString dir = m_dir.filePath(QStringLiteral("gone"));
        QVERIFY(QDir().mkpath(dir));
        const QString db = dir + QStringLiteral("/results.sqlite");
        const QString mark = dir + QStringLiteral("/started-once");
        const QString script = dir + QStringLiteral("/worker.sh");
        {
            QFile f(script);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QStringLiteral("#!/bin/sh\nif [ -e '%1' ]; then echo 'no free GPU' >&2; exit 1; fi\ntouch '%1'\n"
                                   "exec '%2' --segv-on '{\"BLOCK\":32,\"UNROLL\":2,\"VEC\":1}'\n")
                        .arg(mark, kWorker).toUtf8());
        }
        const QString device = QStringLiteral("worker:sh ") + script;
        const QStringList tune{QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--device"), device,
                               QStringLiteral("--strategy"), QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("40")};
        const Run first = cli(tune);
        QVERIFY2(first.exitCode == 1, qPrintable(first.describe()));
        QVERIFY2(first.err.contains("the device is gone (cannot restart the worker"), qPrintable(first.describe()));

        auto store = ResultStore::open(db);
        QVERIFY2(store, qPrintable(store.error()));
        auto sessions = store.value()->sessions();
        QVERIFY(sessions && sessions->size() == 1);
        QCOMPARE(sessions->first().state, QStringLiteral("failed"));
        auto trials = store.value()->trials(sessions->first().id);
        QVERIFY(trials && !trials->isEmpty());
        // The last stored trial is the configuration that crashed its worker, and it is the only
        // crash: nothing after it was stored.
        const Trial& last = trials->last();
        QCOMPARE(last.measurement.status, Status::Crashed);
        QCOMPARE(last.config.value(QStringLiteral("BLOCK")).toInt(), 32);
        QCOMPARE(last.config.value(QStringLiteral("UNROLL")).toInt(), 2);
        QCOMPARE(last.config.value(QStringLiteral("VEC")).toInt(), 1);
        for (int i = 0; i < trials->size() - 1; ++i)
            QCOMPARE(trials->at(i).measurement.status, Status::Ok);
        const int before = int(trials->size());
        store.value().reset();

        // The GPU is free again: the session resumes where it was and completes its budget, with
        // no configuration stored twice.
        QVERIFY(QFile::remove(mark));
        const Run resumed = cli({QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--resume"), QStringLiteral("1"),
                                 QStringLiteral("--device"), device});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.describe()));
        store = ResultStore::open(db);
        QVERIFY(store);
        trials = store.value()->trials(1);
        QVERIFY(trials);
        QCOMPARE(int(trials->size()), 40);
        QVERIFY(int(trials->size()) > before);
        QSet<QString> keys;
        for (const Trial& t : trials.value())
            keys.insert(t.configKey);
        QCOMPARE(int(keys.size()), 40);
    }

private:
    /// The trials of the store's only session, -1 while there is none (or the store is busy).
    static int storedTrials(const QString& db)
    {
        if (!QFileInfo::exists(db))
            return -1;
        auto store = ResultStore::open(db);
        if (!store)
            return -1;
        auto sessions = store.value()->sessions();
        return sessions && sessions->size() == 1 ? sessions->first().trialCount : -1;
    }

    Run cli(const QStringList& args) const
    {
        test::CliEnv env = test::inFolder(m_dir.path());
        env.timeoutMs = 60000;
        return test::runCli(args, env);
    }

    /// A store as someone else might hand it over: a real session replayed on `replayId`
    /// (stopped, so resumable) whose device says backend "replay" but whose id is `deviceId`.
    static bool writeHostileSession(const QString& path, const QString& deviceId, const QString& replayId)
    {
        auto memory = test::openStore(QStringLiteral(":memory:"));
        SessionOptions options{QStringLiteral("random"), {}, 1, 20, 0};
        auto session = Session::create(*memory, test::openDevice(replayId), options);
        if (!session || !session.value()->run())
            return false;
        SessionRecord record = memory->session(session.value()->id()).value();
        record.device.id = deviceId;
        record.state = QStringLiteral("stopped");
        auto store = test::openStore(path);
        auto id = store->createSession(record);
        if (!id)
            return false;
        const QVector<Trial> trials = memory->trials(record.id).value();
    for (Trial t : trials) {
            t.sessionId = id.value();
            if (!store->appendTrial(t, record.elapsedMs))
                return false;
        }
        return bool(store->setSessionState(id.value(), SessionState::Stopped));
    }

    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestCliWorkers)
#include "tst_cliworkers.moc"
