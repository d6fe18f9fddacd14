#include "TestSupport.h"
#include "base/Gzip.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>

#include <limits>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace dv;
using namespace dv::test;

namespace {

const QString kMatmul = QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096");
const QString kRmsnorm = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096");

/// Forwards to a real device and records every configuration it was asked to evaluate.
// These tests count the search's own evaluations: without the final re-measurement.
SessionOptions searchOnly(SessionOptions o)
{
    o.remeasureTop = 0;
    return o;
}

class CountingDevice : public Device {
public:
    explicit CountingDevice(std::shared_ptr<Device> inner) : m_inner(std::move(inner)) {}
    DeviceInfo info() const override { return m_inner->info(); }
    const Workload& workload() const override { return m_inner->workload(); }
    Measurement evaluate(const QJsonObject& config) override
    {
        evaluated.append(ConfigSpace::keyOf(config));
        return m_inner->evaluate(config);
    }
    QStringList evaluated;

private:
    std::shared_ptr<Device> m_inner;
};

QStringList keysOf(const QVector<Trial>& trials)
{
    QStringList keys;
    for (const Trial& t : trials)
        keys.append(t.configKey);
    return keys;
}

/// The config keys, in order, of an uninterrupted session in a private store.
QStringList uninterruptedKeys(const QString& deviceId, const QString& strategy, quint64 seed, int budget)
{
    auto store = openStore(QStringLiteral(":memory:"));
    auto session = Session::create(*store, openDevice(deviceId), SessionOptions{strategy, {}, seed, budget, 0});
    if (!session || !session.value()->run())
        qFatal("uninterrupted reference session failed");
    return keysOf(store->trials(session.value()->id()).value());
}

// --- helpers for the kill test: the database as the child process leaves it ---

int committedTrials(const QString& path)
{
    if (!QFile::exists(path))
        return 0;
    int n = 0;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("kill-poll"));
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=2000"));
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(QStringLiteral("SELECT COUNT(*) FROM trials")) && q.next())
                n = q.value(0).toInt();
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("kill-poll"));
    return n;
}

/// Every column of every trial row, rendered exactly (doubles with 17 digits, NULL marked).
QStringList trialRows(const QString& path)
{
    QStringList rows;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("kill-rows"));
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(QStringLiteral("SELECT * FROM trials ORDER BY seq"))) {
                while (q.next()) {
                    QStringList cols;
                    const QSqlRecord rec = q.record();
                    for (int i = 0; i < rec.count(); ++i) {
                        const QVariant v = q.value(i);
                        QString text = v.isNull() ? QStringLiteral("NULL")
                                     : v.typeId() == QMetaType::Double ? QString::number(v.toDouble(), 'g', 17)
                                                                       : v.toString();
                        cols.append(rec.fieldName(i) + QLatin1Char('=') + text);
                    }
                    rows.append(cols.join(QLatin1Char('|')));
                }
            }
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("kill-rows"));
    return rows;
}

QProcessEnvironment childEnvironment(const QTemporaryDir& dir)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // Nothing may touch the user's own result database.
    env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("xdg-data")));
    env.insert(QStringLiteral("HOME"), dir.path());
    return env;
}

} // namespace

class TestSession : public QObject {
    Q_OBJECT

private slots:
    void budgetStopsAtN_data();
    void budgetStopsAtN();
    void unlimitedBudgetExhaustsTheSpace_data();
    void unlimitedBudgetExhaustsTheSpace();
    void wallTimeBudget();
    void noImprovementStops();
    void stopFromTrialFinishedThenResume();
    void everyStrategyResumesExactly_data();
    void everyStrategyResumesExactly();
    void secondSessionIsAnsweredFromTheStore();
    void resumeWithADifferentDeviceIsRefused();
    void badOptionsAreRefused();
    void failedConfigurationsAreRecorded();
    void killedProcessLosesNothingAndResumes();
};

void TestSession::budgetStopsAtN_data()
{
    QTest::addColumn<QString>("strategy");
    QTest::addColumn<int>("budget");
    QTest::newRow("grid 1") << QStringLiteral("grid") << 1;
    QTest::newRow("grid 25") << QStringLiteral("grid") << 25;
    QTest::newRow("random 1") << QStringLiteral("random") << 1;
    QTest::newRow("random 50") << QStringLiteral("random") << 50;
    QTest::newRow("random 125") << QStringLiteral("random") << 125;
}

void TestSession::budgetStopsAtN()
{
    QFETCH(QString, strategy);
    QFETCH(int, budget);
    auto store = openStore(QStringLiteral(":memory:"));
    auto created = Session::create(*store, openDevice(kRmsnorm), SessionOptions{strategy, {}, 3, budget, 0});
    QVERIFY2(created.ok(), qPrintable(created.error()));
    Session& s = *created.value();
    QCOMPARE(s.evaluationBudget(), budget);
    QSignalSpy trialSpy(&s, &Session::trialFinished);
    QSignalSpy progressSpy(&s, &Session::progress);
    QSignalSpy finishedSpy(&s, &Session::finished);
    QSignalSpy failedSpy(&s, &Session::failed);

    auto ended = s.run();
    QVERIFY2(ended.ok(), qPrintable(ended.error()));
    QCOMPARE(ended.value(), QStringLiteral("budget"));
    QCOMPARE(s.history().count(), budget);
    QCOMPARE(trialSpy.count(), budget);
    QCOMPARE(finishedSpy.count(), 1);
    QCOMPARE(finishedSpy.first().first().toString(), QStringLiteral("budget"));
    QCOMPARE(failedSpy.count(), 0);
    QCOMPARE(progressSpy.count(), budget + 1);
    QCOMPARE(progressSpy.first(), (QVariantList{0, budget}));
    QCOMPARE(progressSpy.last(), (QVariantList{budget, budget}));

    auto trials = store->trials(s.id());
    QVERIFY(trials.ok());
    QCOMPARE(trials->size(), budget);
    QSet<QString> keys;
    for (int i = 0; i < budget; ++i) {
        const Trial& t = trials->at(i);
        QCOMPARE(t.sequence, i + 1);
        QCOMPARE(t.configKey, ConfigSpace::keyOf(t.config));
        QVERIFY(!t.fromStore);
        keys.insert(t.configKey);
        // The signal carried what was stored.
        const Trial signalled = trialSpy.at(i).first().value<Trial>();
        QCOMPARE(signalled.sequence, t.sequence);
        QCOMPARE(signalled.configKey, t.configKey);
    }
    QCOMPARE(keys.size(), budget);
    const SessionRecord r = store->session(s.id()).value();
    QCOMPARE(r.state, QStringLiteral("finished"));
    QCOMPARE(r.trialCount, budget);
    QCOMPARE(r.budgetEvaluations, budget);
    QCOMPARE(r.strategy, strategy);
    QCOMPARE(r.seed, quint64(3));
    QVERIFY(r.elapsedMs > 0);
}

void TestSession::unlimitedBudgetExhaustsTheSpace_data()
{
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("strategy");
    QTest::addColumn<int>("budget");
    QTest::addColumn<int>("size");
    QTest::newRow("rmsnorm grid") << kRmsnorm << QStringLiteral("grid") << 0 << 126;
    QTest::newRow("rmsnorm random") << kRmsnorm << QStringLiteral("random") << 0 << 126;
    QTest::newRow("rmsnorm random, budget above the size") << kRmsnorm << QStringLiteral("random") << 1000 << 126;
    QTest::newRow("matmul random") << kMatmul << QStringLiteral("random") << 0 << 384;
}

void TestSession::unlimitedBudgetExhaustsTheSpace()
{
    QFETCH(QString, device);
    QFETCH(QString, strategy);
    QFETCH(int, budget);
    QFETCH(int, size);
    auto store = openStore(QStringLiteral(":memory:"));
    auto created = Session::create(*store, openDevice(device), SessionOptions{strategy, {}, 1, budget, 0});
    QVERIFY2(created.ok(), qPrintable(created.error()));
    Session& s = *created.value();
    QCOMPARE(s.evaluationBudget(), size);
    auto ended = s.run();
    QVERIFY(ended.ok());
    QCOMPARE(ended.value(), QStringLiteral("exhausted"));
    const QStringList keys = keysOf(store->trials(s.id()).value());
    QCOMPARE(keys.size(), size);
    QCOMPARE(QSet<QString>(keys.begin(), keys.end()).size(), size);
    QCOMPARE(store->session(s.id())->state, QStringLiteral("finished"));
    // Running again has nothing left to do.
    auto again = s.run();
    QVERIFY(again.ok());
    QCOMPARE(again.value(), QStringLiteral("exhausted"));
    QCOMPARE(store->trials(s.id())->size(), size);
}

void TestSession::wallTimeBudget()
{
    auto store = openStore(QStringLiteral(":memory:"));
    std::shared_ptr<Device> device = openDevice(kMatmul);
    auto* replay = dynamic_cast<ReplayDevice*>(device.get());
    QVERIFY(replay);
    const int latency = 20;
    const double limit = 0.3;
    replay->setSimulatedLatencyMs(latency);
    auto created = Session::create(*store, device, SessionOptions{QStringLiteral("random"), {}, 5, 0, limit});
    QVERIFY(created.ok());
    Session& s = *created.value();
    QElapsedTimer clock;
    clock.start();
    auto ended = s.run();
    const qint64 took = clock.elapsed();
    QVERIFY(ended.ok());
    QCOMPARE(ended.value(), QStringLiteral("time limit"));
    // A trial starts only while less than 300 ms have passed, and each takes at least 20 ms.
    const int n = s.history().count();
    QVERIFY2(n >= 1 && n <= int(limit * 1000 / latency), qPrintable(QString::number(n)));
    QVERIFY2(took >= 300, qPrintable(QString::number(took)));
    QVERIFY2(took < 10000, qPrintable(QString::number(took)));
    const SessionRecord r = store->session(s.id()).value();
    QCOMPARE(r.state, QStringLiteral("stopped"));
    QCOMPARE(r.trialCount, n);
    QVERIFY(r.elapsedMs >= n * double(latency));

    // The limit counts over all runs: resuming the spent session does nothing.
    auto resumed = Session::resume(*store, device, s.id());
    QVERIFY2(resumed.ok(), qPrintable(resumed.error()));
    auto again = resumed.value()->run();
    QVERIFY(again.ok());
    QCOMPARE(again.value(), QStringLiteral("time limit"));
    QCOMPARE(store->trials(s.id())->size(), n);
}

void TestSession::noImprovementStops()
{
    auto store = openStore(QStringLiteral(":memory:"));
    const int patience = 25;
    auto created = Session::create(*store, openDevice(kMatmul),
                                   SessionOptions{QStringLiteral("random"), {}, 9, 0, 0, patience});
    QVERIFY(created.ok());
    auto ended = created.value()->run();
    QVERIFY(ended.ok());
    QCOMPARE(ended.value(), QStringLiteral("no improvement"));
    // The last `patience` trials did not improve on the best before them, and the one before did.
    const QVector<Trial> trials = store->trials(created.value()->id()).value();
    QVERIFY(trials.size() > patience && trials.size() < 384);
    double best = std::numeric_limits<double>::infinity();
    int lastImprovement = 0;
    for (const Trial& t : trials) {
        if (t.measurement.isOk() && t.measurement.objectiveMs < best) {
            best = t.measurement.objectiveMs;
            lastImprovement = t.sequence;
        }
    }
    QCOMPARE(int(trials.size()) - lastImprovement, patience);
    QCOMPARE(store->session(created.value()->id())->budgetStall, patience);
    QCOMPARE(store->session(created.value()->id())->state, QStringLiteral("stopped"));

    // The count survives a resume: with nothing new it stops at once.
    auto resumed = Session::resume(*store, openDevice(kMatmul), created.value()->id());
    QVERIFY(resumed.ok());
    QCOMPARE(resumed.value()->run().value(), QStringLiteral("no improvement"));
    QCOMPARE(store->trials(created.value()->id())->size(), trials.size());
}

void TestSession::stopFromTrialFinishedThenResume()
{
    const int budget = 60, stopAt = 17;
    const quint64 seed = 11;
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto store = openStore(dir.filePath(QStringLiteral("stop.sqlite")));

    auto created = Session::create(*store, openDevice(kMatmul), searchOnly(SessionOptions{QStringLiteral("random"), {}, seed, budget, 0}));
    QVERIFY(created.ok());
    Session* first = created.value().get();
    connect(first, &Session::trialFinished, first, [first](const Trial& t) {
        if (t.sequence == stopAt)
            first->stop();
    });
    QSignalSpy finishedSpy(first, &Session::finished);
    auto ended = first->run();
    QVERIFY(ended.ok());
    QCOMPARE(ended.value(), QStringLiteral("stopped"));
    QCOMPARE(finishedSpy.count(), 1);
    QCOMPARE(finishedSpy.first().first().toString(), QStringLiteral("stopped"));
    QCOMPARE(first->history().count(), stopAt);
    const qint64 id = first->id();
    QCOMPARE(store->session(id)->state, QStringLiteral("stopped"));
    const QVector<Trial> before = store->trials(id).value();
    QCOMPARE(before.size(), stopAt);
    created.value().reset();

    // Resume on a fresh device instance; the counting wrapper shows what was measured.
    auto counting = std::make_shared<CountingDevice>(openDevice(kMatmul));
    auto resumed = Session::resume(*store, counting, id);
    QVERIFY2(resumed.ok(), qPrintable(resumed.error()));
    QCOMPARE(resumed.value()->history().count(), stopAt);
    QCOMPARE(resumed.value()->id(), id);
    auto resumedEnd = resumed.value()->run();
    QVERIFY(resumedEnd.ok());
    QCOMPARE(resumedEnd.value(), QStringLiteral("budget"));
    QCOMPARE(store->session(id)->state, QStringLiteral("finished"));

    const QVector<Trial> after = store->trials(id).value();
    QCOMPARE(after.size(), budget);
    const QStringList keys = keysOf(after);
    QCOMPARE(QSet<QString>(keys.begin(), keys.end()).size(), budget);
    for (int i = 0; i < after.size(); ++i) {
        QCOMPARE(after[i].sequence, i + 1);
        QVERIFY(!after[i].fromStore);
    }
    for (int i = 0; i < stopAt; ++i) {
        QCOMPARE(after[i].configKey, before[i].configKey);
        QCOMPARE(after[i].startedAt, before[i].startedAt);
        QCOMPARE(after[i].finishedAt, before[i].finishedAt);
    }
    // Only the rest was measured, each once.
    QCOMPARE(counting->evaluated, keys.mid(stopAt));
    // The same sequence as a search that was never stopped.
    QCOMPARE(keys, uninterruptedKeys(kMatmul, QStringLiteral("random"), seed, budget));

    // A larger budget continues the same search further.
    auto more = Session::resume(*store, counting, id, 80);
    QVERIFY(more.ok());
    QCOMPARE(more.value()->evaluationBudget(), 80);
    QCOMPARE(more.value()->run().value(), QStringLiteral("budget"));
    QCOMPARE(store->session(id)->budgetEvaluations, 80);
    QCOMPARE(keysOf(store->trials(id).value()), uninterruptedKeys(kMatmul, QStringLiteral("random"), seed, 80));
}

void TestSession::everyStrategyResumesExactly_data()
{
    QTest::addColumn<QString>("strategy");
    for (const char* name : {"bayes", "genetic", "local"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

// Adaptive strategies carry state beyond the seed and the history (bayes: its acquisition
// portfolio, random engine and model fits); the store keeps it with every trial, so a search
// stopped and resumed from another process proposes exactly what an uninterrupted one would.
void TestSession::everyStrategyResumesExactly()
{
    QFETCH(QString, strategy);
    const int budget = 40, stopAt = 17;
    const quint64 seed = 5;
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("resume.sqlite"));
    qint64 id = 0;
    {
        auto store = openStore(path);
        auto created = Session::create(*store, openDevice(kMatmul), SessionOptions{strategy, {}, seed, budget, 0});
        QVERIFY2(created, qPrintable(created.error()));
        Session* first = created.value().get();
        connect(first, &Session::trialFinished, first, [first](const Trial& t) {
            if (t.sequence == stopAt)
                first->stop();
        });
        QCOMPARE(first->run().value(), QStringLiteral("stopped"));
        id = first->id();
        if (strategy == QLatin1String("bayes"))
            QVERIFY(!store->session(id)->strategyState.isEmpty());
    }
    auto store = openStore(path); // a fresh connection, as a new process would have
    auto resumed = Session::resume(*store, openDevice(kMatmul), id);
    QVERIFY2(resumed, qPrintable(resumed.error()));
    QVERIFY(resumed.value()->run());
    QCOMPARE(keysOf(store->trials(id).value()), uninterruptedKeys(kMatmul, strategy, seed, budget));
}

void TestSession::secondSessionIsAnsweredFromTheStore()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto store = openStore(dir.filePath(QStringLiteral("shared.sqlite")));

    auto s1 = Session::create(*store, openDevice(kMatmul), SessionOptions{QStringLiteral("grid"), {}, 0, 30, 0});
    QVERIFY(s1.ok());
    QVERIFY(s1.value()->run().ok());
    QHash<QString, Trial> measured;
    const QVector<Trial> first = store->trials(s1.value()->id()).value();
    for (const Trial& t : first)
        measured.insert(t.configKey, t);
    QCOMPARE(measured.size(), 30);

    auto counting = std::make_shared<CountingDevice>(openDevice(kMatmul));
    auto s2 = Session::create(*store, counting, searchOnly(SessionOptions{QStringLiteral("random"), {}, 5, 120, 0}));
    QVERIFY(s2.ok());
    QVERIFY(s2.value()->run().ok());
    const QVector<Trial> second = store->trials(s2.value()->id()).value();
    QCOMPARE(second.size(), 120);
    QStringList fresh;
    int answered = 0;
    for (const Trial& t : second) {
        const bool known = measured.contains(t.configKey);
        QCOMPARE(t.fromStore, known);
        if (known) {
            ++answered;
            const Measurement& m = measured.value(t.configKey).measurement;
            QCOMPARE(t.measurement.status, m.status);
            QVERIFY(t.measurement.status != Status::Ok || t.measurement.objectiveMs == m.objectiveMs);
            QCOMPARE(t.measurement.samplesMs, m.samplesMs);
            QVERIFY2(!counting->evaluated.contains(t.configKey),
                     qPrintable(QStringLiteral("%1 was measured again").arg(t.configKey)));
        } else {
            fresh.append(t.configKey);
        }
    }
    QVERIFY2(answered > 0, "the seed should overlap the first 30 grid configurations");
    // The device saw exactly the configurations nobody had measured, in order.
    QCOMPARE(counting->evaluated, fresh);

    // A third session over the whole space measures only what neither session did.
    for (const Trial& t : second)
        measured.insert(t.configKey, t);
    auto counting3 = std::make_shared<CountingDevice>(openDevice(kMatmul));
    auto s3 = Session::create(*store, counting3, searchOnly(SessionOptions{QStringLiteral("grid"), {}, 0, 0, 0}));
    QVERIFY(s3.ok());
    QCOMPARE(s3.value()->run().value(), QStringLiteral("exhausted"));
    QCOMPARE(counting3->evaluated.size(), 384 - measured.size());
    for (const QString& key : counting3->evaluated)
        QVERIFY(!measured.contains(key));
    int fromStore = 0;
    const QVector<Trial> third = store->trials(s3.value()->id()).value();
    for (const Trial& t : third)
        fromStore += t.fromStore ? 1 : 0;
    QCOMPARE(fromStore, measured.size());

    // Another problem (a different kernel/problem on the same GPU) reuses nothing.
    auto counting4 = std::make_shared<CountingDevice>(openDevice(QStringLiteral("replay:h100/triton_matmul_fp16_M1024_N1024_K1024")));
    auto s4 = Session::create(*store, counting4, searchOnly(SessionOptions{QStringLiteral("grid"), {}, 0, 30, 0}));
    QVERIFY(s4.ok());
    QVERIFY(s4.value()->run().ok());
    QCOMPARE(counting4->evaluated.size(), 30);
}

void TestSession::resumeWithADifferentDeviceIsRefused()
{
    auto store = openStore(QStringLiteral(":memory:"));
    auto created = Session::create(*store, openDevice(kMatmul), SessionOptions{QStringLiteral("random"), {}, 1, 10, 0});
    QVERIFY(created.ok());
    QVERIFY(created.value()->run().ok());
    const qint64 id = created.value()->id();

    // Another kernel.
    auto other = Session::resume(*store, openDevice(kRmsnorm), id);
    QVERIFY(!other.ok());
    QVERIFY2(other.error().contains(QStringLiteral("session %1").arg(id)), qPrintable(other.error()));
    QVERIFY2(other.error().contains(QLatin1String("triton_matmul_fp16_M4096_N4096_K4096")), qPrintable(other.error()));
    QVERIFY2(other.error().contains(QLatin1String("triton_rmsnorm_fp16_rows16_N4096")), qPrintable(other.error()));

    // The same kernel and GPU from a different recording (another toolchain).
    QFile file(QStringLiteral(DEJAVU_DATASETS_DIR "/h100/triton_matmul_fp16_M4096_N4096_K4096.json.gz"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    auto plain = gunzip(file.readAll(), file.fileName());
    QVERIFY(plain.ok());
    auto copy = ReplayDevice::open(QStringLiteral("replay:copy"), plain.value(), QStringLiteral("copy.json"));
    QVERIFY2(copy.ok(), qPrintable(copy.error()));
    const DeviceInfo copyInfo = copy.value()->info();
    QCOMPARE(copyInfo.name, openDevice(kMatmul)->info().name);
    QVERIFY(copyInfo.toolchain != openDevice(kMatmul)->info().toolchain);
    auto refused = Session::resume(*store, std::shared_ptr<Device>(std::move(copy.value())), id);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().contains(copyInfo.toolchain), qPrintable(refused.error()));
    QVERIFY2(refused.error().contains(openDevice(kMatmul)->info().toolchain), qPrintable(refused.error()));

    // Nothing was added, and the session still resumes on the right device.
    QCOMPARE(store->trials(id)->size(), 10);
    QCOMPARE(store->sessions()->size(), 1);
    QVERIFY(Session::resume(*store, openDevice(kMatmul), id).ok());

    auto missing = Session::resume(*store, openDevice(kMatmul), 999);
    QVERIFY(!missing.ok());
    QVERIFY2(missing.error().contains(QLatin1String("999")), qPrintable(missing.error()));
}

void TestSession::badOptionsAreRefused()
{
    auto store = openStore(QStringLiteral(":memory:"));
    auto unknown = Session::create(*store, openDevice(kRmsnorm), SessionOptions{QStringLiteral("annealing"), {}, 0, 10, 0});
    QVERIFY(!unknown.ok());
    QVERIFY2(unknown.error().contains(QLatin1String("annealing")), qPrintable(unknown.error()));
    QVERIFY2(unknown.error().contains(QLatin1String("grid")) && unknown.error().contains(QLatin1String("random")),
             qPrintable(unknown.error()));
    auto negative = Session::create(*store, openDevice(kRmsnorm), SessionOptions{QStringLiteral("grid"), {}, 0, -1, 0});
    QVERIFY(!negative.ok());
    QVERIFY(negative.error().contains(QLatin1String("budget")));
    // A refused session leaves no record behind.
    QCOMPARE(store->sessions()->size(), 0);
}

void TestSession::failedConfigurationsAreRecorded()
{
    auto store = openStore(QStringLiteral(":memory:"));
    std::shared_ptr<Device> device = openDevice(kMatmul);
    const KernelTunerCache& cache = dynamic_cast<ReplayDevice&>(*device).cache();
    auto created = Session::create(*store, device, SessionOptions{QStringLiteral("grid"), {}, 0, 0, 0});
    QVERIFY(created.ok());
    QCOMPARE(created.value()->run().value(), QStringLiteral("exhausted"));

    const QVector<Trial> trials = store->trials(created.value()->id()).value();
    QCOMPARE(trials.size(), 384);
    int compileErrors = 0, ok = 0;
    double best = INFINITY;
    for (const Trial& t : trials) {
        const qint64 index = cache.space.indexOf(t.config);
        QVERIFY(index >= 0);
        const Measurement& recorded = cache.measurements[size_t(index)];
        QCOMPARE(t.measurement.status, recorded.status);
        if (t.measurement.status == Status::CompileError) {
            ++compileErrors;
            QVERIFY(std::isnan(t.measurement.objectiveMs));
        } else {
            QCOMPARE(t.measurement.status, Status::Ok);
            ++ok;
            QVERIFY(t.measurement.objectiveMs == recorded.objectiveMs);
            best = std::min(best, recorded.objectiveMs);
        }
    }
    QCOMPARE(compileErrors, 54);
    QCOMPARE(ok, 330);
    const SessionRecord r = store->session(created.value()->id()).value();
    QVERIFY(r.bestMs.has_value());
    QVERIFY(*r.bestMs == best);
    QVERIFY(created.value()->history().best().has_value());
    QVERIFY(created.value()->history().best()->objectiveMs == best);
}

void TestSession::killedProcessLosesNothingAndResumes()
{
    const int budget = 200;
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString db = dir.filePath(QStringLiteral("r.sqlite"));
    const QString tune = QStringLiteral(DEJAVU_TUNE_PATH);
    QVERIFY2(QFile::exists(tune), DEJAVU_TUNE_PATH);

    QProcess child;
    child.setProcessEnvironment(childEnvironment(dir));
    child.start(tune, {QStringLiteral("tune"), QStringLiteral("--device"), kMatmul, QStringLiteral("--strategy"),
                       QStringLiteral("random"), QStringLiteral("--seed"), QStringLiteral("7"), QStringLiteral("--budget"),
                       QString::number(budget), QStringLiteral("--db"), db, QStringLiteral("--latency-ms"),
                       QStringLiteral("20"), QStringLiteral("--quiet")});
    QVERIFY2(child.waitForStarted(10000), qPrintable(child.errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(committedTrials(db) >= 40 || child.state() != QProcess::Running, 60000);
    QVERIFY2(child.state() == QProcess::Running,
             qPrintable(QStringLiteral("the child ended before it was killed: %1").arg(QString::fromLocal8Bit(child.readAllStandardError()))));
    child.kill(); // SIGKILL: no handler, no cleanup
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    // The database opens and every committed trial is whole.
    std::shared_ptr<Device> device = openDevice(kMatmul);
    const KernelTunerCache& cache = dynamic_cast<ReplayDevice&>(*device).cache();
    int k = 0;
    {
        auto store = ResultStore::open(db);
        QVERIFY2(store.ok(), qPrintable(store.error()));
        auto sessions = store.value()->sessions();
        QVERIFY(sessions.ok());
        QCOMPARE(sessions->size(), 1);
        QCOMPARE(sessions->first().id, qint64(1));
        QCOMPARE(sessions->first().state, QStringLiteral("running"));
        const QVector<Trial> trials = store.value()->trials(1).value();
        k = trials.size();
        QVERIFY2(k >= 40 && k < budget, qPrintable(QString::number(k)));
        QCOMPARE(sessions->first().trialCount, k);
        for (int i = 0; i < k; ++i) {
            const Trial& t = trials[i];
            QCOMPARE(t.sequence, i + 1);
            QCOMPARE(t.configKey, ConfigSpace::keyOf(t.config));
            const qint64 index = cache.space.indexOf(t.config);
            QVERIFY(index >= 0);
            QCOMPARE(t.spaceIndex, index);
            const Measurement& recorded = cache.measurements[size_t(index)];
            QCOMPARE(t.measurement.status, recorded.status);
            QVERIFY(recorded.status != Status::Ok || t.measurement.objectiveMs == recorded.objectiveMs);
            QVERIFY(t.startedAt.isValid() && t.finishedAt >= t.startedAt);
            QVERIFY(!t.fromStore);
        }
    }
    const QStringList killedRows = trialRows(db);
    QCOMPARE(killedRows.size(), k);

    // Resume in a new process, without latency.
    QProcess resume;
    resume.setProcessEnvironment(childEnvironment(dir));
    resume.start(tune, {QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--resume"), QStringLiteral("1"),
                        QStringLiteral("--quiet")});
    QVERIFY(resume.waitForFinished(120000));
    QVERIFY2(resume.exitStatus() == QProcess::NormalExit && resume.exitCode() == 0,
             qPrintable(QString::fromLocal8Bit(resume.readAllStandardError())));

    const QStringList resumedRows = trialRows(db);
    QCOMPARE(resumedRows.size(), budget);
    // Trials 1..k are untouched, column by column.
    QCOMPARE(resumedRows.mid(0, k), killedRows);

    QStringList keys;
    {
        auto store = ResultStore::open(db);
        QVERIFY(store.ok());
        QCOMPARE(store.value()->sessions()->size(), 1);
        QCOMPARE(store.value()->session(1)->state, QStringLiteral("finished"));
        const QVector<Trial> trials = store.value()->trials(1).value();
        QCOMPARE(trials.size(), budget);
        for (int i = 0; i < trials.size(); ++i) {
            QCOMPARE(trials[i].sequence, i + 1);
            QVERIFY(!trials[i].fromStore);
        }
        keys = keysOf(trials);
    }
    QCOMPARE(QSet<QString>(keys.begin(), keys.end()).size(), budget);

    // The same search run without interruption, into another database.
    const QString other = dir.filePath(QStringLiteral("u.sqlite"));
    QProcess straight;
    straight.setProcessEnvironment(childEnvironment(dir));
    straight.start(tune, {QStringLiteral("tune"), QStringLiteral("--device"), kMatmul, QStringLiteral("--strategy"),
                          QStringLiteral("random"), QStringLiteral("--seed"), QStringLiteral("7"), QStringLiteral("--budget"),
                          QString::number(budget), QStringLiteral("--db"), other, QStringLiteral("--quiet")});
    QVERIFY(straight.waitForFinished(120000));
    QCOMPARE(straight.exitCode(), 0);
    auto otherStore = ResultStore::open(other);
    QVERIFY(otherStore.ok());
    QCOMPARE(keysOf(otherStore.value()->trials(1).value()), keys);
}

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
