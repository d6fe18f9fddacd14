#include "TestSupport.h"
#include "device/ReplayDevice.h"
#include "session/ResultStore.h"
#include "session/SessionLaunch.h"
#include "session/WarmStart.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;
using namespace dv::test;

namespace {

const QString kRmsnorm = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096");
const QString kMi250x = QStringLiteral("replay:kerneltuner/convolution_MI250X");
const QString kA100 = QStringLiteral("replay:kerneltuner/convolution_A100");
const QString kWorker = QStringLiteral(DEJAVU_TEST_WORKER_PATH);

LaunchRequest newRequest(const QString& db, const QString& device, int budget)
{
    LaunchRequest r;
    r.databasePath = db;
    r.deviceId = device;
    r.options.strategy = QStringLiteral("random");
    r.options.seed = 7;
    r.options.maxEvaluations = budget;
    r.options.remeasureTop = 0;
    return r;
}

/// Launches and runs `r`; the session id (0 after a failed check, with the error).
qint64 launchAndRun(const LaunchRequest& r)
{
    auto launched = SessionLaunch::open(r);
    if (!launched) {
        qWarning("%s", qPrintable(launched.error()));
        return 0;
    }
    auto ended = launched->session->run();
    if (!ended) {
        qWarning("%s", qPrintable(ended.error()));
        return 0;
    }
    return launched->session->id();
}

int trialCount(const QString& db, qint64 id)
{
    auto store = ResultStore::open(db);
    auto trials = store ? store.value()->trials(id) : Result<QVector<Trial>>(Error{store.error()});
    return trials ? int(trials->size()) : -1;
}

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

} // namespace

class TestSessionLaunch : public QObject {
    Q_OBJECT
private slots:
    void newSessionIsCreatedAndStored()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("sub/results.sqlite"));
        LaunchRequest r = newRequest(db, kRmsnorm, 5);
        auto launched = SessionLaunch::open(r);
        QVERIFY2(launched, qPrintable(launched.error()));
        QCOMPARE(launched->deviceId, kRmsnorm);
        QVERIFY(QFileInfo::exists(db)); // the folder is made, then the database
        const SessionRecord& rec = launched->session->record();
        QCOMPARE(rec.strategy, QStringLiteral("random"));
        QCOMPARE(rec.seed, quint64(7));
        QCOMPARE(rec.budgetEvaluations, 5);
        QCOMPARE(launched->session->space().size(), launched->device->workload().space.size());
        QVERIFY(launched->session->run());
        QCOMPARE(trialCount(db, rec.id), 5);
    }

    void spaceFileNarrowsTheSearch()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("r.sqlite"));
        const QString spaceFile = dir.filePath(QStringLiteral("narrow.json"));
        const ConfigSpace whole = datasetSpace(kRmsnorm);
        // The device's own space with its first parameter held at its first value.
        QJsonObject narrowed = whole.toJson();
        QJsonArray params = narrowed.value(QStringLiteral("parameters")).toArray();
        QJsonObject first = params.at(0).toObject();
        first.insert(QStringLiteral("values"), QJsonArray{first.value(QStringLiteral("values")).toArray().at(0)});
        params.replace(0, first);
        narrowed.insert(QStringLiteral("parameters"), params);
        writeFile(spaceFile, QJsonDocument(narrowed).toJson());
        LaunchRequest r = newRequest(db, kRmsnorm, 3);
        r.spaceFile = spaceFile;
        auto launched = SessionLaunch::open(r);
        QVERIFY2(launched, qPrintable(launched.error()));
        QVERIFY(launched->session->space().size() < whole.size());
        QVERIFY(launched->session->space().size() > 0);
    }

    void resumeContinuesTheStoredSession()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("r.sqlite"));
        const qint64 id = launchAndRun(newRequest(db, kRmsnorm, 3));
        QVERIFY(id > 0);
        LaunchRequest r;
        r.databasePath = db;
        r.resumeId = id;
        r.options.maxEvaluations = 6; // the session's new total
        auto launched = SessionLaunch::open(r);
        QVERIFY2(launched, qPrintable(launched.error()));
        QCOMPARE(launched->session->id(), id);
        QCOMPARE(launched->deviceId, kRmsnorm); // the stored device, not given again
        QVERIFY(launched->session->run());
        QCOMPARE(trialCount(db, id), 6);
    }

    void warmStartAddsTheRecordedPrior()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("r.sqlite"));
        LaunchRequest r = newRequest(db, kMi250x, 2);
        r.options.strategy = QStringLiteral("bayes");
        r.warmStartDeviceId = kA100; // a landscape with failures
        auto launched = SessionLaunch::open(r);
        QVERIFY2(launched, qPrintable(launched.error()));
        const QJsonArray prior = launched->session->record().strategyOptions.value(WarmStart::optionName()).toArray();
        auto source = DeviceRegistry::openRecorded(kA100);
        QVERIFY(source);
        const KernelTunerCache& cache = source.value()->cache();
        QCOMPARE(qint64(prior.size()), cache.space.size());
        QCOMPARE(prior, WarmStart::fromRecorded(cache));
        // Failures are in the prior too, without a time.
        int failed = 0;
        for (size_t i = 0; i < cache.measurements.size(); ++i) {
            const QJsonObject e = prior.at(qsizetype(i)).toObject();
            QCOMPARE(e.value(QStringLiteral("config")).toObject(), cache.space.config(qint64(i)));
            if (cache.measurements[i].isOk()) {
                QCOMPARE(e.value(QStringLiteral("objective")).toDouble(), cache.measurements[i].objectiveMs);
            } else {
                QVERIFY(e.value(QStringLiteral("objective")).isNull());
                ++failed;
            }
        }
        QVERIFY(failed > 0);
    }

    void warmStartFromTrialsKeepsTheirOrder()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("r.sqlite"));
        const qint64 id = launchAndRun(newRequest(db, kRmsnorm, 4));
        QVERIFY(id > 0);
        auto store = ResultStore::open(db);
        QVERIFY(store);
        auto trials = store.value()->trials(id);
        QVERIFY(trials);
        const QJsonArray prior = WarmStart::fromTrials(trials.value());
        QCOMPARE(prior.size(), trials->size());
        for (int i = 0; i < trials->size(); ++i) {
            QCOMPARE(prior.at(i).toObject().value(QStringLiteral("config")).toObject(), trials->at(i).config);
            QCOMPARE(prior.at(i).toObject().value(QStringLiteral("objective")).toDouble(), trials->at(i).measurement.objectiveMs);
        }
    }

    // Every refusal names what to fix, and a new session's refusal writes nothing.
    void newSessionErrorsNameTheOption_data()
    {
        QTest::addColumn<QString>("device");
        QTest::addColumn<QString>("strategy");
        QTest::addColumn<bool>("hotCache");
        QTest::addColumn<QString>("spaceText"); // "-": no space file; "missing": a path that does not exist
        QTest::addColumn<QString>("warmStart");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no device") << QString() << "random" << false << "-" << QString() << "--device is required";
        QTest::newRow("unknown strategy") << kRmsnorm << "annealing" << false << "-" << QString() << "--strategy: ";
        QTest::newRow("unknown device") << "replay:h100/no_such" << "random" << false << "-" << QString() << "unknown device 'replay:h100/no_such'";
        QTest::newRow("hot cache on a replay") << kRmsnorm << "random" << true << "-" << QString() << "hot-cache";
        QTest::newRow("space file missing") << kRmsnorm << "random" << false << "missing" << QString() << "cannot read the space file";
        QTest::newRow("space file not JSON") << kRmsnorm << "random" << false << "{nope" << QString() << "not a JSON object";
        QTest::newRow("space narrows nothing known") << kRmsnorm << "random" << false
                                                     << R"({"name": "n", "parameters": [{"name": "NO_SUCH", "values": [1]}]})" << QString() << "space.json";
        QTest::newRow("warm start not recorded") << kA100 << "bayes" << false << "-" << QStringLiteral("replay:kerneltuner/no_such")
                                                 << "warm start: ";
        QTest::newRow("warm start a worker") << kA100 << "bayes" << false << "-" << QStringLiteral("worker:sh -c 'exit 1'")
                                             << "warm start: 'worker:sh -c 'exit 1'' is not a recorded dataset";
    }
    void newSessionErrorsNameTheOption()
    {
        QFETCH(QString, device);
        QFETCH(QString, strategy);
        QFETCH(bool, hotCache);
        QFETCH(QString, spaceText);
        QFETCH(QString, warmStart);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("r.sqlite"));
        LaunchRequest r = newRequest(db, device, 3);
        r.options.strategy = strategy;
        r.options.timing.flushL2 = !hotCache;
        r.warmStartDeviceId = warmStart;
        if (spaceText != QLatin1String("-")) {
            r.spaceFile = dir.filePath(QStringLiteral("space.json"));
            if (spaceText != QLatin1String("missing"))
                writeFile(r.spaceFile, spaceText.toUtf8());
        }
        auto launched = SessionLaunch::open(r);
        QVERIFY(!launched);
        QVERIFY2(launched.error().contains(expected), qPrintable(launched.error()));
        if (spaceText != QLatin1String("-"))
            QVERIFY2(launched.error().contains(r.spaceFile), qPrintable(launched.error()));
        QVERIFY(!QFileInfo::exists(db)); // nothing written
    }

    void resumeErrorsNameTheOption_data()
    {
        QTest::addColumn<qint64>("resumeId");
        QTest::addColumn<int>("budget");
        QTest::addColumn<QString>("given");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no such session") << qint64(99) << 0 << QString() << "99";
        QTest::newRow("budget below stored") << qint64(1) << 3 << QString() << "--budget 3: session 1 already has 3 evaluations";
        for (const QString& kept : SessionLaunch::keptOnResume())
            QTest::newRow(qPrintable(kept)) << qint64(1) << 0 << kept
                                            << QStringLiteral("--%1 cannot change a stored session").arg(kept);
    }
    void resumeErrorsNameTheOption()
    {
        QFETCH(qint64, resumeId);
        QFETCH(int, budget);
        QFETCH(QString, given);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("r.sqlite"));
        QCOMPARE(launchAndRun(newRequest(db, kRmsnorm, 3)), qint64(1));
        LaunchRequest r;
        r.databasePath = db;
        r.resumeId = resumeId;
        r.options.maxEvaluations = budget;
        if (!given.isEmpty())
            r.givenOptions.append(given);
        auto launched = SessionLaunch::open(r);
        QVERIFY(!launched);
        QVERIFY2(launched.error().contains(expected), qPrintable(launched.error()));
        QCOMPARE(trialCount(db, 1), 3);
    }

    void resumeOfAMissingDatabaseCreatesNone()
    {
        QTemporaryDir dir;
        LaunchRequest r;
        r.databasePath = dir.filePath(QStringLiteral("typo.sqlite"));
        r.resumeId = 1;
        auto launched = SessionLaunch::open(r);
        QVERIFY(!launched);
        QCOMPARE(launched.error(), r.databasePath + QStringLiteral(": no such result database"));
        QVERIFY(!QFileInfo::exists(r.databasePath));
    }

    // A worker command line read from the store is data: resuming needs it given again.
    void storedWorkerCommandNeedsTheDeviceAgain()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("r.sqlite"));
        const QString worker = QStringLiteral("worker:'%1'").arg(kWorker);
        const qint64 id = launchAndRun(newRequest(db, worker, 2));
        QVERIFY(id > 0);

        LaunchRequest r;
        r.databasePath = db;
        r.resumeId = id;
        r.options.maxEvaluations = 4;
        auto refused = SessionLaunch::open(r);
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(QStringLiteral("it is not run unless you give it again: --device '")), qPrintable(refused.error()));
        QVERIFY2(refused.error().contains(db), qPrintable(refused.error()));

        r.deviceId = worker; // given again by the user
        QVERIFY(launchAndRun(r) == id);
        QCOMPARE(trialCount(db, id), 4);
    }

    void storedHostileCommandIsNeverStarted()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("r.sqlite"));
        const QString marker = dir.filePath(QStringLiteral("ran"));
        {
            auto store = ResultStore::open(db);
            QVERIFY(store);
            SessionRecord rec;
            rec.state = QStringLiteral("stopped");
            rec.device = DeviceInfo{QStringLiteral("worker:sh -c 'touch %1'").arg(marker), QStringLiteral("GPU"),
                                    QStringLiteral("worker"), QStringLiteral("t"), {}};
            rec.kernel = QStringLiteral("k");
            rec.problem = QStringLiteral("[]");
            rec.strategy = QStringLiteral("random");
            auto id = store.value()->createSession(rec);
            QVERIFY2(id, qPrintable(id.error()));
        }
        LaunchRequest r;
        r.databasePath = db;
        r.resumeId = 1;
        auto refused = SessionLaunch::open(r);
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(QStringLiteral("not run unless you give it again")), qPrintable(refused.error()));
        QVERIFY(!QFileInfo::exists(marker));
    }
};

QTEST_GUILESS_MAIN(TestSessionLaunch)
#include "tst_sessionlaunch.moc"
