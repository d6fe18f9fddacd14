#include "session/ResultStore.h"

#include <QFile>
#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace dv;

Q_DECLARE_METATYPE(dv::Measurement)

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

SessionRecord sampleSession(const QString& kernel = QStringLiteral("matmul"),
                            const QString& problem = QStringLiteral("[4096,4096,4096]"),
                            const QString& deviceName = QStringLiteral("NVIDIA H100 80GB HBM3"),
                            const QString& toolchain = QStringLiteral("cuda 12.4 / triton 3.0"))
{
    SessionRecord r;
    r.state = QStringLiteral("running");
    r.device.id = QStringLiteral("cuda:0");
    r.device.name = deviceName;
    r.device.backend = QStringLiteral("triton");
    r.device.toolchain = toolchain;
    r.device.details = QJsonObject{{QStringLiteral("sm"), 90}, {QStringLiteral("driver"), QStringLiteral("550.54")}};
    r.kernel = kernel;
    r.problem = problem;
    r.space = QJsonObject{{QStringLiteral("parameters"),
                           QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("BLOCK")},
                                                  {QStringLiteral("values"), QJsonArray{32, 64, 128}}}}}};
    r.strategy = QStringLiteral("random");
    r.strategyOptions = QJsonObject{{QStringLiteral("batch"), 4}};
    r.seed = (quint64(1) << 40) + 17;
    r.budgetEvaluations = 200;
    r.budgetSeconds = 3600.5;
    r.elapsedMs = 0;
    return r;
}

Measurement okMeasurement(double ms)
{
    Measurement m;
    m.status = Status::Ok;
    m.objectiveMs = ms;
    m.samplesMs = {ms, ms * 1.01, ms * 0.99};
    m.compileTimeMs = 1234.5;
    m.extra = QJsonObject{{QStringLiteral("registers"), 96}};
    return m;
}

Trial makeTrial(qint64 session, int seq, int block, const Measurement& m, bool fromStore = false)
{
    Trial t;
    t.sessionId = session;
    t.sequence = seq;
    t.spaceIndex = seq - 1;
    t.config = QJsonObject{{QStringLiteral("BLOCK"), block}};
    t.configKey = QStringLiteral("{\"BLOCK\":%1}").arg(block);
    t.measurement = m;
    t.startedAt = QDateTime(QDate(2024, 5, 17), QTime(10, 20, 30, 123), Qt::UTC).addSecs(seq);
    t.finishedAt = t.startedAt.addMSecs(456);
    t.fromStore = fromStore;
    return t;
}

// NaN-aware equality for doubles.
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

std::unique_ptr<ResultStore> openStore(const QString& path)
{
    auto store = ResultStore::open(path);
    if (!store)
        qFatal("%s", qPrintable(store.error()));
    return std::move(store.value());
}

} // namespace

class TestResultStore : public QObject {
    Q_OBJECT

private slots:
    void sessionRoundTrip();
    void trialRoundTrip_data();
    void trialRoundTrip();
    void reopeningTheFileSeesEverything();
    void walModeIsOn();
    void knownMeasurementsMatchTheSameIdentityOnly();
    void duplicateSequenceIsRejected();
    void duplicateConfigurationInASessionIsRejected();
    void trialOfAnUnknownSessionIsRejected();
    void unknownSessionIsAnError();
    void stateAndBudgetUpdates();
    void notSqliteIsAnErrorNamingThePath();
    void newerSchemaIsRefused();
    void newerSchemaIsLeftUntouched();
    void memoryStoresArePrivate();
    void version1StoreIsUpgraded();
    void remeasurementRoundTrip();
};

void TestResultStore::sessionRoundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto store = openStore(dir.filePath(QStringLiteral("r.sqlite")));
    const SessionRecord in = sampleSession();
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    auto id = store->createSession(in);
    QVERIFY2(id.ok(), qPrintable(id.error()));
    QVERIFY(id.value() > 0);

    auto out = store->session(id.value());
    QVERIFY2(out.ok(), qPrintable(out.error()));
    const SessionRecord& r = out.value();
    QCOMPARE(r.id, id.value());
    QCOMPARE(r.state, in.state);
    QCOMPARE(r.device.id, in.device.id);
    QCOMPARE(r.device.name, in.device.name);
    QCOMPARE(r.device.backend, in.device.backend);
    QCOMPARE(r.device.toolchain, in.device.toolchain);
    QCOMPARE(r.device.details, in.device.details);
    QCOMPARE(r.kernel, in.kernel);
    QCOMPARE(r.problem, in.problem);
    QCOMPARE(r.space, in.space);
    QCOMPARE(r.strategy, in.strategy);
    QCOMPARE(r.strategyOptions, in.strategyOptions);
    QCOMPARE(r.seed, in.seed);
    QCOMPARE(r.budgetEvaluations, in.budgetEvaluations);
    QCOMPARE(r.budgetSeconds, in.budgetSeconds);
    QCOMPARE(r.elapsedMs, 0.0);
    QCOMPARE(r.trialCount, 0);
    QVERIFY(!r.bestMs.has_value());
    QVERIFY(r.createdAt.isValid());
    QVERIFY(r.createdAt >= before);
    QVERIFY(r.createdAt <= QDateTime::currentDateTimeUtc().addMSecs(1));
    QCOMPARE(r.updatedAt, r.createdAt);

    // A record without a state is created running; a second session gets a new id.
    SessionRecord noState = in;
    noState.state.clear();
    auto id2 = store->createSession(noState);
    QVERIFY(id2.ok());
    QVERIFY(id2.value() != id.value());
    QCOMPARE(store->session(id2.value())->state, QStringLiteral("running"));
}

void TestResultStore::trialRoundTrip_data()
{
    QTest::addColumn<Measurement>("measurement");
    QTest::addColumn<bool>("fromStore");

    QTest::newRow("ok with samples") << okMeasurement(1.25) << false;
    QTest::newRow("ok from the store") << okMeasurement(0.000123456789012345) << true;
    Measurement exact = okMeasurement(1.1162239909172058);
    exact.samplesMs = {1.1162239909172058, 1e-300, 123456789.125};
    exact.compileTimeMs = kNaN;
    QTest::newRow("full precision, no compile time") << exact << false;
    Measurement compile = Measurement::failure(Status::CompileError,
                                               QStringLiteral("ptxas: error: \"too many resources\", line 3\nsecond line"));
    compile.compileTimeMs = 2624.0;
    QTest::newRow("compile error") << compile << false;
    Measurement wrong = Measurement::failure(Status::WrongResult, QStringLiteral("max abs error 0.5 > 1e-3 (ünïcødé)"));
    wrong.samplesMs = {2.0, 2.1};
    wrong.extra = QJsonObject{{QStringLiteral("max_error"), 0.5}, {QStringLiteral("nested"), QJsonObject{{QStringLiteral("a"), QJsonArray{1, 2}}}}};
    QTest::newRow("wrong result with samples and extra") << wrong << false;
    QTest::newRow("timeout") << Measurement::failure(Status::Timeout, QStringLiteral("killed after 10 s")) << false;
    QTest::newRow("crashed") << Measurement::failure(Status::Crashed, QStringLiteral("worker exited with signal 11")) << true;
    QTest::newRow("runtime error, no message") << Measurement::failure(Status::RuntimeError, QString()) << false;
    QTest::newRow("invalid") << Measurement::failure(Status::Invalid, QStringLiteral("not in the space")) << false;
}

void TestResultStore::trialRoundTrip()
{
    QFETCH(Measurement, measurement);
    QFETCH(bool, fromStore);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto store = openStore(dir.filePath(QStringLiteral("r.sqlite")));
    const qint64 id = store->createSession(sampleSession()).value();
    Trial in = makeTrial(id, 1, 64, measurement, fromStore);
    in.spaceIndex = 1;
    auto appended = store->appendTrial(in, 987.5);
    QVERIFY2(appended.ok(), qPrintable(appended.error()));

    auto trials = store->trials(id);
    QVERIFY2(trials.ok(), qPrintable(trials.error()));
    QCOMPARE(trials->size(), 1);
    const Trial& t = trials->first();
    QCOMPARE(t.sessionId, id);
    QCOMPARE(t.sequence, 1);
    QCOMPARE(t.spaceIndex, qint64(1));
    QCOMPARE(t.configKey, in.configKey);
    QCOMPARE(t.config, in.config);
    QCOMPARE(t.measurement.status, measurement.status);
    if (measurement.status == Status::Ok)
        QVERIFY2(t.measurement.objectiveMs == measurement.objectiveMs,
                 qPrintable(QString::number(t.measurement.objectiveMs, 'g', 17)));
    else
        QVERIFY(std::isnan(t.measurement.objectiveMs));
    QCOMPARE(t.measurement.samplesMs.size(), measurement.samplesMs.size());
    for (int i = 0; i < measurement.samplesMs.size(); ++i)
        QVERIFY(t.measurement.samplesMs[i] == measurement.samplesMs[i]);
    QVERIFY(same(t.measurement.compileTimeMs, measurement.compileTimeMs));
    QCOMPARE(t.measurement.error, measurement.error);
    QCOMPARE(t.measurement.extra, measurement.extra);
    QCOMPARE(t.startedAt, in.startedAt);
    QCOMPARE(t.finishedAt, in.finishedAt);
    QCOMPARE(t.startedAt.toMSecsSinceEpoch(), in.startedAt.toMSecsSinceEpoch());
    QCOMPARE(t.fromStore, fromStore);

    const SessionRecord r = store->session(id).value();
    QCOMPARE(r.trialCount, 1);
    QCOMPARE(r.elapsedMs, 987.5);
    if (measurement.status == Status::Ok)
        QCOMPARE(r.bestMs, std::optional<double>(measurement.objectiveMs));
    else
        QVERIFY(!r.bestMs.has_value());
}

void TestResultStore::reopeningTheFileSeesEverything()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("results.sqlite"));
    QVector<Trial> written;
    qint64 first = 0, second = 0;
    {
        auto store = openStore(path);
        QCOMPARE(store->path(), path);
        first = store->createSession(sampleSession()).value();
        second = store->createSession(sampleSession(QStringLiteral("rmsnorm"), QStringLiteral("[16,4096]"))).value();
        const double times[] = {3.0, 1.5, 2.0};
        for (int i = 0; i < 3; ++i) {
            written.append(makeTrial(first, i + 1, 32 << i, okMeasurement(times[i])));
            QVERIFY(store->appendTrial(written.last(), 10.0 * (i + 1)).ok());
        }
        written.append(makeTrial(second, 1, 32, Measurement::failure(Status::Crashed, QStringLiteral("boom")), true));
        QVERIFY(store->appendTrial(written.last(), 5.0).ok());
        QVERIFY(store->setSessionState(first, SessionState::Stopped).ok());
    }
    QVERIFY(QFile::exists(path));

    auto store = openStore(path);
    auto list = store->sessions();
    QVERIFY2(list.ok(), qPrintable(list.error()));
    QCOMPARE(list->size(), 2);
    // Newest first.
    QCOMPARE(list->at(0).id, second);
    QCOMPARE(list->at(1).id, first);
    QCOMPARE(list->at(1).state, QStringLiteral("stopped"));
    QCOMPARE(list->at(1).trialCount, 3);
    QCOMPARE(list->at(1).bestMs, std::optional<double>(1.5));
    QCOMPARE(list->at(1).elapsedMs, 30.0);
    QCOMPARE(list->at(1).seed, sampleSession().seed);
    QCOMPARE(list->at(1).device.details, sampleSession().device.details);
    QCOMPARE(list->at(0).kernel, QStringLiteral("rmsnorm"));
    QCOMPARE(list->at(0).trialCount, 1);
    QVERIFY(!list->at(0).bestMs.has_value());

    auto firstTrials = store->trials(first);
    QVERIFY(firstTrials.ok());
    QCOMPARE(firstTrials->size(), 3);
    for (int i = 0; i < 3; ++i) {
        const Trial& t = firstTrials->at(i);
        QCOMPARE(t.sequence, i + 1);
        QCOMPARE(t.config, written[i].config);
        QCOMPARE(t.configKey, written[i].configKey);
        QVERIFY(t.measurement.objectiveMs == written[i].measurement.objectiveMs);
        QCOMPARE(t.measurement.samplesMs, written[i].measurement.samplesMs);
        QCOMPARE(t.startedAt, written[i].startedAt);
        QCOMPARE(t.finishedAt, written[i].finishedAt);
        QVERIFY(!t.fromStore);
    }
    auto secondTrials = store->trials(second);
    QCOMPARE(secondTrials->size(), 1);
    QCOMPARE(secondTrials->first().measurement.status, Status::Crashed);
    QCOMPARE(secondTrials->first().measurement.error, QStringLiteral("boom"));
    QVERIFY(secondTrials->first().fromStore);
}

void TestResultStore::walModeIsOn()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("wal.sqlite"));
    auto store = openStore(path);
    QVERIFY(store->createSession(sampleSession()).ok());
    {
        QSqlDatabase probe = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("wal-probe"));
        probe.setDatabaseName(path);
        QVERIFY2(probe.open(), qPrintable(probe.lastError().text()));
        QSqlQuery q(probe);
        QVERIFY2(q.exec(QStringLiteral("PRAGMA journal_mode")), qPrintable(q.lastError().text()));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toString().toLower(), QStringLiteral("wal"));
        // The schema version is recorded.
        QVERIFY(q.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), 3);
        q.finish();
        probe.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("wal-probe"));
    QVERIFY(QFile::exists(path + QStringLiteral("-wal")));
}

void TestResultStore::knownMeasurementsMatchTheSameIdentityOnly()
{
    auto store = openStore(QStringLiteral(":memory:"));
    const QString kernel = QStringLiteral("matmul"), problem = QStringLiteral("[4096,4096,4096]"),
                  gpu = QStringLiteral("NVIDIA H100 80GB HBM3"), toolchain = QStringLiteral("cuda 12.4 / triton 3.0");

    auto add = [&](const SessionRecord& r, int block, double ms, bool fromStore = false, int seq = 1) {
        const qint64 id = store->createSession(r).value();
        QVERIFY(store->appendTrial(makeTrial(id, seq, block, okMeasurement(ms), fromStore), 1.0).ok());
    };
    // Matches: same kernel, problem, device name and toolchain; the device id may differ.
    SessionRecord same = sampleSession(kernel, problem, gpu, toolchain);
    const qint64 a = store->createSession(same).value();
    QVERIFY(store->appendTrial(makeTrial(a, 1, 32, okMeasurement(1.0)), 1).ok());
    QVERIFY(store->appendTrial(makeTrial(a, 2, 64, Measurement::failure(Status::CompileError, QStringLiteral("too big"))), 2).ok());
    // Answered from the store in a matching session: not a measurement, ignored.
    QVERIFY(store->appendTrial(makeTrial(a, 3, 128, okMeasurement(0.01), true), 3).ok());
    SessionRecord otherId = same;
    otherId.device.id = QStringLiteral("cuda:1");
    add(otherId, 256, 4.0);

    // Each differs in one respect: never matched.
    add(sampleSession(QStringLiteral("rmsnorm"), problem, gpu, toolchain), 512, 0.5);
    add(sampleSession(kernel, QStringLiteral("[1024,1024,1024]"), gpu, toolchain), 1024, 0.5);
    add(sampleSession(kernel, problem, QStringLiteral("NVIDIA A100-PCIE-40GB"), toolchain), 2048, 0.5);
    add(sampleSession(kernel, problem, gpu, QStringLiteral("cuda 12.6 / triton 3.1")), 4096, 0.5);

    DeviceInfo device;
    device.id = QStringLiteral("cuda:7");
    device.name = gpu;
    device.toolchain = toolchain;
    auto known = store->knownMeasurements(kernel, problem, device);
    QVERIFY2(known.ok(), qPrintable(known.error()));
    QStringList keys = known->keys();
    keys.sort();
    QCOMPARE(keys, (QStringList{QStringLiteral("{\"BLOCK\":256}"), QStringLiteral("{\"BLOCK\":32}"),
                                QStringLiteral("{\"BLOCK\":64}")}));
    QCOMPARE(known->value(QStringLiteral("{\"BLOCK\":32}")).status, Status::Ok);
    QCOMPARE(known->value(QStringLiteral("{\"BLOCK\":32}")).objectiveMs, 1.0);
    QCOMPARE(known->value(QStringLiteral("{\"BLOCK\":32}")).samplesMs, okMeasurement(1.0).samplesMs);
    QCOMPARE(known->value(QStringLiteral("{\"BLOCK\":64}")).status, Status::CompileError);
    QCOMPARE(known->value(QStringLiteral("{\"BLOCK\":64}")).error, QStringLiteral("too big"));
    QCOMPARE(known->value(QStringLiteral("{\"BLOCK\":256}")).objectiveMs, 4.0);

    // A different toolchain sees only its own session.
    device.toolchain = QStringLiteral("cuda 12.6 / triton 3.1");
    known = store->knownMeasurements(kernel, problem, device);
    QVERIFY(known.ok());
    QCOMPARE(known->keys(), QStringList{QStringLiteral("{\"BLOCK\":4096}")});
    // Nothing for an unknown kernel.
    known = store->knownMeasurements(QStringLiteral("nope"), problem, device);
    QVERIFY(known.ok());
    QVERIFY(known->isEmpty());
}

void TestResultStore::duplicateSequenceIsRejected()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto store = openStore(dir.filePath(QStringLiteral("dup.sqlite")));
    const qint64 id = store->createSession(sampleSession()).value();
    QVERIFY(store->appendTrial(makeTrial(id, 1, 32, okMeasurement(1.0)), 10.0).ok());
    auto dup = store->appendTrial(makeTrial(id, 1, 64, okMeasurement(0.5)), 20.0);
    QVERIFY(!dup.ok());
    QVERIFY2(dup.error().contains(QLatin1String("trial 1")), qPrintable(dup.error()));
    QVERIFY2(dup.error().contains(QStringLiteral("session %1").arg(id)), qPrintable(dup.error()));

    // Nothing of the rejected trial was kept (its session update was rolled back too) and the
    // store is still usable.
    auto trials = store->trials(id);
    QCOMPARE(trials->size(), 1);
    QCOMPARE(trials->first().config.value(QLatin1String("BLOCK")).toInt(), 32);
    QCOMPARE(store->session(id)->elapsedMs, 10.0);
    QCOMPARE(store->session(id)->bestMs, std::optional<double>(1.0));
    QVERIFY(store->appendTrial(makeTrial(id, 2, 64, okMeasurement(0.5)), 30.0).ok());
    QCOMPARE(store->trials(id)->size(), 2);
    QCOMPARE(store->session(id)->elapsedMs, 30.0);

    // The same sequence number in another session is fine.
    const qint64 other = store->createSession(sampleSession()).value();
    QVERIFY(store->appendTrial(makeTrial(other, 1, 32, okMeasurement(1.0)), 1.0).ok());
}

void TestResultStore::duplicateConfigurationInASessionIsRejected()
{
    auto store = openStore(QStringLiteral(":memory:"));
    const qint64 id = store->createSession(sampleSession()).value();
    QVERIFY(store->appendTrial(makeTrial(id, 1, 32, okMeasurement(1.0)), 1.0).ok());
    QVERIFY(!store->appendTrial(makeTrial(id, 2, 32, okMeasurement(2.0)), 2.0).ok());
    QCOMPARE(store->trials(id)->size(), 1);
}

void TestResultStore::trialOfAnUnknownSessionIsRejected()
{
    auto store = openStore(QStringLiteral(":memory:"));
    auto r = store->appendTrial(makeTrial(42, 1, 32, okMeasurement(1.0)), 1.0);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().contains(QLatin1String("session 42")), qPrintable(r.error()));
    QVERIFY(store->trials(42)->isEmpty());
}

void TestResultStore::unknownSessionIsAnError()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("empty.sqlite"));
    auto store = openStore(path);
    auto r = store->session(17);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().contains(path), qPrintable(r.error()));
    QVERIFY2(r.error().contains(QLatin1String("17")), qPrintable(r.error()));
    QVERIFY(store->sessions()->isEmpty());
}

void TestResultStore::stateAndBudgetUpdates()
{
    auto store = openStore(QStringLiteral(":memory:"));
    const qint64 id = store->createSession(sampleSession()).value();
    QVERIFY(store->setSessionState(id, SessionState::Finished).ok());
    QVERIFY(store->setSessionBudget(id, 17, 2.5).ok());
    const SessionRecord r = store->session(id).value();
    QCOMPARE(r.state, QStringLiteral("finished"));
    QCOMPARE(r.budgetEvaluations, 17);
    QCOMPARE(r.budgetSeconds, 2.5);
    QVERIFY(r.updatedAt >= r.createdAt);
}

void TestResultStore::notSqliteIsAnErrorNamingThePath()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("garbage.sqlite"));
    QByteArray garbage;
    for (int i = 0; i < 512; ++i)
        garbage += "this is certainly not an SQLite database, just text. ";
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(garbage);
    }
    auto store = ResultStore::open(path);
    QVERIFY(!store.ok());
    QVERIFY2(store.error().contains(path), qPrintable(store.error()));
    QVERIFY2(store.error().contains(QLatin1String("SQLite")), qPrintable(store.error()));
    // The user's file is left alone.
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), garbage);
}

void TestResultStore::newerSchemaIsRefused()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("future.sqlite"));
    {
        auto store = openStore(path);
        QVERIFY(store->createSession(sampleSession()).ok());
    }
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("future-writer"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY2(q.exec(QStringLiteral("UPDATE meta SET value = '7' WHERE key = 'schema_version'")),
                 qPrintable(q.lastError().text()));
        QCOMPARE(q.numRowsAffected(), 1);
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("future-writer"));

    auto store = ResultStore::open(path);
    QVERIFY(!store.ok());
    QVERIFY2(store.error().contains(path), qPrintable(store.error()));
    QVERIFY2(store.error().contains(QLatin1String("newer")), qPrintable(store.error()));
    QVERIFY2(store.error().contains(QLatin1String("7")), qPrintable(store.error()));
}

namespace {

/// The schema and journal mode of a database file, read through a separate connection.
QStringList schemaOf(const QString& path)
{
    QStringList out;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("schema-reader"));
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(QStringLiteral("PRAGMA journal_mode")) && q.next())
                out.append(QStringLiteral("journal_mode=") + q.value(0).toString());
            if (q.exec(QStringLiteral("SELECT type, name, sql FROM sqlite_master ORDER BY name"))) {
                while (q.next())
                    out.append(q.value(0).toString() + QLatin1Char(' ') + q.value(1).toString() + QLatin1Char(' ') + q.value(2).toString());
            }
            if (q.exec(QStringLiteral("SELECT key, value FROM meta ORDER BY key"))) {
                while (q.next())
                    out.append(q.value(0).toString() + QLatin1Char('=') + q.value(1).toString());
            }
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("schema-reader"));
    return out;
}

} // namespace

void TestResultStore::newerSchemaIsLeftUntouched()
{
    // A store from a future version whose schema differs (no "trials" table, another journal
    // mode): refusing it must not rewrite it into this version's shape.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("future2.sqlite"));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("future2-writer"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode=DELETE")));
        QVERIFY(q.exec(QStringLiteral("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")));
        QVERIFY(q.exec(QStringLiteral("INSERT INTO meta(key, value) VALUES('schema_version', '4')")));
        QVERIFY(q.exec(QStringLiteral("CREATE TABLE measurements(id INTEGER PRIMARY KEY, payload BLOB)")));
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("future2-writer"));
    const QStringList before = schemaOf(path);
    QVERIFY(before.contains(QStringLiteral("journal_mode=delete")));
    QVERIFY(before.contains(QStringLiteral("schema_version=4")));

    auto store = ResultStore::open(path);
    QVERIFY(!store.ok());
    QVERIFY2(store.error().contains(path), qPrintable(store.error()));
    QVERIFY2(store.error().contains(QLatin1String("newer")), qPrintable(store.error()));
    QCOMPARE(schemaOf(path), before);
}

void TestResultStore::memoryStoresArePrivate()
{
    auto a = openStore(QStringLiteral(":memory:"));
    auto b = openStore(QStringLiteral(":memory:"));
    QVERIFY(a->createSession(sampleSession()).ok());
    QCOMPARE(a->sessions()->size(), 1);
    QCOMPARE(b->sessions()->size(), 0);
}


void TestResultStore::version1StoreIsUpgraded()
{
    // A store as version 1 wrote it (before the stall budget grew in place, too), with a session
    // and a trial in it.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("v1.sqlite"));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("v1-writer"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery q(db);
        for (const char* sql : {
                 "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                 "INSERT INTO meta(key, value) VALUES('schema_version', '1')",
                 "CREATE TABLE sessions(id INTEGER PRIMARY KEY AUTOINCREMENT, state TEXT NOT NULL,"
                 " device_id TEXT NOT NULL, device_name TEXT NOT NULL, backend TEXT NOT NULL, toolchain TEXT NOT NULL,"
                 " device_details TEXT, kernel TEXT NOT NULL, problem TEXT NOT NULL, space TEXT NOT NULL,"
                 " strategy TEXT NOT NULL, strategy_options TEXT, seed INTEGER NOT NULL,"
                 " budget_evaluations INTEGER NOT NULL, budget_seconds REAL NOT NULL, elapsed_ms REAL NOT NULL,"
                 " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
                 "CREATE TABLE trials(id INTEGER PRIMARY KEY AUTOINCREMENT,"
                 " session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
                 " seq INTEGER NOT NULL, space_index INTEGER NOT NULL, config_key TEXT NOT NULL, config TEXT NOT NULL,"
                 " status TEXT NOT NULL, objective_ms REAL, samples TEXT, compile_ms REAL, error TEXT, extra TEXT,"
                 " started_at TEXT NOT NULL, finished_at TEXT NOT NULL, from_store INTEGER NOT NULL,"
                 " UNIQUE(session_id, seq), UNIQUE(session_id, config_key))",
                 "INSERT INTO sessions VALUES(1, 'finished', 'cuda:0', 'NVIDIA H100 80GB HBM3', 'cuda', 'cuda 13.0', '{}',"
                 " 'gemm', '[64]', '{\"name\":\"s\",\"parameters\":[{\"name\":\"B\",\"values\":[1,2]}]}', 'grid', '{}', 0,"
                 " 2, 0, 12.5, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z')",
                 "INSERT INTO trials VALUES(1, 1, 1, 0, 'B=1', '{\"B\":1}', 'ok', 0.5, '[0.5]', 10, '', '{}',"
                 " '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.500Z', 0)"}) {
            QVERIFY2(q.exec(QString::fromLatin1(sql)), qPrintable(q.lastError().text()));
        }
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("v1-writer"));

    {
        auto store = ResultStore::open(path);
        QVERIFY2(store, qPrintable(store.error()));
        auto r = store.value()->session(1);
        QVERIFY2(r, qPrintable(r.error()));
        QCOMPARE(r->device.name, QStringLiteral("NVIDIA H100 80GB HBM3"));
        QCOMPARE(r->budgetStall, 0);
        QVERIFY(r->timing.isDefault());
        QCOMPARE(r->remeasureTop, 0);
        QCOMPARE(r->remeasureRounds, 0);
        QCOMPARE(*r->bestMs, 0.5);
        auto trials = store.value()->trials(1);
        QVERIFY2(trials, qPrintable(trials.error()));
        QCOMPARE(trials->size(), 1);
        QVERIFY(trials->first().remeasuredMs.isEmpty());
        // The new table is there and takes rows.
        Remeasurement m;
        m.sessionId = 1;
        m.configKey = QStringLiteral("B=1");
        m.config = QJsonObject{{QStringLiteral("B"), 1}};
        m.measurement.status = Status::Ok;
        m.measurement.objectiveMs = 0.6;
        m.measurement.samplesMs = {0.6};
        m.measuredAt = QDateTime::currentDateTimeUtc();
        QVERIFY(store.value()->appendRemeasurement(m));
        QCOMPARE(store.value()->trials(1)->first().remeasuredMs, QVector<double>{0.6});
        QCOMPARE(*store.value()->session(1)->bestMs, 0.6);
    }
    const QStringList schema = schemaOf(path);
    QVERIFY(schema.contains(QStringLiteral("schema_version=3")));
    QVERIFY(std::any_of(schema.begin(), schema.end(), [](const QString& s) { return s.startsWith(QLatin1String("table remeasurements ")); }));
    // Opening an upgraded store again changes nothing.
    {
        auto again = ResultStore::open(path);
        QVERIFY2(again, qPrintable(again.error()));
    }
    QCOMPARE(schemaOf(path), schema);
}

void TestResultStore::remeasurementRoundTrip()
{
    auto store = openStore(QStringLiteral(":memory:"));
    SessionRecord record = sampleSession();
    record.timing = TimingOptions{false, true};
    record.remeasureTop = 4;
    record.remeasureRounds = 2;
    const qint64 id = store->createSession(record).value();
    auto back = store->session(id);
    QCOMPARE(back->timing, record.timing);
    QCOMPARE(back->remeasureTop, 4);
    QCOMPARE(back->remeasureRounds, 2);
    QCOMPARE(store->lastRemeasurePass(id).value(), 0);
    Remeasurement r;
    r.sessionId = id;
    r.pass = 1;
    r.round = 2;
    r.position = 3;
    r.configKey = QStringLiteral("A=1");
    r.config = QJsonObject{{QStringLiteral("A"), 1}};
    r.measurement = Measurement::failure(Status::Timeout, QStringLiteral("no answer within 60 s"));
    r.measuredAt = QDateTime::fromString(QStringLiteral("2026-11-25T21:00:00.123Z"), Qt::ISODateWithMs);
    QVERIFY(store->appendRemeasurement(r));
    // The same round and position twice in a pass is refused.
    QVERIFY(!store->appendRemeasurement(r));
    auto rows = store->remeasurements(id);
    QCOMPARE(rows->size(), 1);
    const Remeasurement& got = rows->first();
    QCOMPARE(got.pass, 1);
    QCOMPARE(got.round, 2);
    QCOMPARE(got.position, 3);
    QCOMPARE(got.configKey, r.configKey);
    QCOMPARE(got.config, r.config);
    QCOMPARE(got.measurement.status, Status::Timeout);
    QCOMPARE(got.measurement.error, r.measurement.error);
    QCOMPARE(got.measuredAt, r.measuredAt);
    QCOMPARE(store->lastRemeasurePass(id).value(), 1);
}

QTEST_GUILESS_MAIN(TestResultStore)
#include "tst_resultstore.moc"
