#include "export/SessionExport.h"

#include "device/KernelTunerCache.h"
#include "session/ResultStore.h"

#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

namespace {

SessionRecord record(const QString& kernel)
{
    SessionRecord r;
    r.device.id = QStringLiteral("replay:h100/x");
    r.device.name = QStringLiteral("NVIDIA H100 80GB HBM3");
    r.device.backend = QStringLiteral("replay");
    r.device.toolchain = QStringLiteral("recorded");
    r.kernel = kernel;
    r.problem = QStringLiteral("[4096]");
    r.space = QJsonObject{{QStringLiteral("parameters"),
                           QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("BLOCK")},
                                                  {QStringLiteral("values"), QJsonArray{32, 64, 128}}}}}};
    r.strategy = QStringLiteral("grid");
    return r;
}

Trial trial(qint64 session, int seq, int block, Status status, double ms)
{
    Trial t;
    t.sessionId = session;
    t.sequence = seq;
    t.spaceIndex = seq - 1;
    t.config = QJsonObject{{QStringLiteral("BLOCK"), block}};
    t.configKey = QStringLiteral("{\"BLOCK\":%1}").arg(block);
    t.measurement.status = status;
    t.measurement.objectiveMs = ms;
    if (status == Status::Ok)
        t.measurement.samplesMs = {ms, ms};
    t.startedAt = QDateTime(QDate(2024, 5, 17), QTime(10, 20, 30), Qt::UTC).addSecs(seq);
    t.finishedAt = t.startedAt.addMSecs(300);
    return t;
}

// Two sessions in one store: "older" with 3 trials (one failed), "newer" with 2.
struct Fixture {
    QTemporaryDir dir;
    std::unique_ptr<ResultStore> store;
    qint64 older = 0, newer = 0;

    bool build()
    {
        auto opened = ResultStore::open(dir.filePath(QStringLiteral("results.sqlite")));
        if (!opened)
            return false;
        store = std::move(opened.value());
        older = store->createSession(record(QStringLiteral("older"))).value();
        if (!store->appendTrial(trial(older, 1, 32, Status::Ok, 2.5), 10)
            || !store->appendTrial(trial(older, 2, 64, Status::CompileError, 0), 20)
            || !store->appendTrial(trial(older, 3, 128, Status::Ok, 1.25), 30))
            return false;
        newer = store->createSession(record(QStringLiteral("newer"))).value();
        return store->appendTrial(trial(newer, 1, 32, Status::Ok, 3.0), 10)
            && store->appendTrial(trial(newer, 2, 64, Status::Ok, 4.0), 20);
    }
};

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestSessionExport : public QObject {
    Q_OBJECT

private slots:
    void formatsAreKnown();
    void csvOfTheNewestSessionByDefault();
    void kernelTunerCacheOfAChosenSessionReadsBack();
    void badInputWritesNothing_data();
    void badInputWritesNothing();
    void anExistingDifferentFileNeedsForce();
};

void TestSessionExport::formatsAreKnown()
{
    for (const QString& f : SessionExport::trialFormats())
        QVERIFY(!SessionExport::isDeploymentFormat(f));
    for (const QString& f : SessionExport::deploymentFormats())
        QVERIFY(SessionExport::isDeploymentFormat(f));
    QCOMPARE(SessionExport::formats().size(), SessionExport::trialFormats().size() + SessionExport::deploymentFormats().size());
    QVERIFY(SessionExport::needsDeployment(QStringLiteral("dejavu")));
    QVERIFY(SessionExport::needsDeployment(QStringLiteral("triton-cache")));
    QVERIFY(!SessionExport::needsDeployment(QStringLiteral("csv")));
}

void TestSessionExport::csvOfTheNewestSessionByDefault()
{
    Fixture fx;
    QVERIFY(fx.build());
    SessionExportOptions o;
    o.format = QStringLiteral("csv");
    o.out = fx.dir.filePath(QStringLiteral("trials.csv"));
    SessionExport e(o);
    auto done = e.run(*fx.store);
    QVERIFY2(done.ok(), qPrintable(done.error()));
    QCOMPARE(e.failure(), SessionExport::Failure::None);
    QCOMPARE(done->sessionIds, QVector<qint64>{fx.newer});
    QCOMPARE(done->trials, 2);
    QCOMPARE(done->written, o.out);
    const QList<QByteArray> lines = readAll(o.out).trimmed().split('\n');
    QCOMPARE(lines.size(), 3); // a header and the newer session's two trials
    QVERIFY(lines[1].contains("32") && lines[2].contains("64"));
    QVERIFY(!done->text().isEmpty());
}

void TestSessionExport::kernelTunerCacheOfAChosenSessionReadsBack()
{
    Fixture fx;
    QVERIFY(fx.build());
    SessionExportOptions o;
    o.format = QStringLiteral("kerneltuner");
    o.sessionIds = {fx.older};
    o.out = fx.dir.filePath(QStringLiteral("older.json"));
    SessionExport e(o);
    auto done = e.run(*fx.store);
    QVERIFY2(done.ok(), qPrintable(done.error()));
    QCOMPARE(done->sessionIds, QVector<qint64>{fx.older});
    QCOMPARE(done->trials, 3);
    auto cache = KernelTunerCache::parse(readAll(o.out), o.out);
    QVERIFY2(cache.ok(), qPrintable(cache.error()));
    QCOMPARE(cache->kernelName, QStringLiteral("older"));
    QCOMPARE(int(cache->measurements.size()), 3);
    int ok = 0;
    double fastest = 1e9;
    for (const Measurement& m : cache->measurements) {
        if (m.status == Status::Ok) {
            ++ok;
            fastest = std::min(fastest, m.objectiveMs);
        } else {
            QCOMPARE(m.status, Status::CompileError); // the failure keeps its kind
        }
    }
    QCOMPARE(ok, 2);
    QCOMPARE(fastest, 1.25);
}

void TestSessionExport::badInputWritesNothing_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("out");
    QTest::addColumn<int>("sessions"); // 0: default; 1: an unknown id; 2: both sessions
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown format") << QStringLiteral("xlsx") << QStringLiteral("t.xlsx") << 0 << QStringLiteral("unknown export format 'xlsx'");
    QTest::newRow("no output path") << QStringLiteral("csv") << QString() << 0 << QStringLiteral("no output path");
    QTest::newRow("a folder format to stdout") << QStringLiteral("dejavu") << QStringLiteral("-") << 0 << QStringLiteral("writes a folder");
    QTest::newRow("two sessions into one csv") << QStringLiteral("csv") << QStringLiteral("t.csv") << 2 << QStringLiteral("exports one session; 2 are selected");
    QTest::newRow("a session that does not exist") << QStringLiteral("csv") << QStringLiteral("t.csv") << 1 << QStringLiteral("999");
}

void TestSessionExport::badInputWritesNothing()
{
    QFETCH(QString, format);
    QFETCH(QString, out);
    QFETCH(int, sessions);
    QFETCH(QString, message);
    Fixture fx;
    QVERIFY(fx.build());
    SessionExportOptions o;
    o.format = format;
    o.out = out.isEmpty() || out == QLatin1String("-") ? out : fx.dir.filePath(out);
    if (sessions == 1)
        o.sessionIds = {999};
    else if (sessions == 2)
        o.sessionIds = {fx.older, fx.newer};
    SessionExport e(o);
    auto done = e.run(*fx.store);
    QVERIFY(!done.ok());
    QVERIFY2(done.error().contains(message), qPrintable(done.error()));
    QCOMPARE(e.failure(), SessionExport::Failure::BadInput);
    if (!out.isEmpty() && out != QLatin1String("-"))
        QVERIFY(!QFile::exists(o.out));
}

void TestSessionExport::anExistingDifferentFileNeedsForce()
{
    Fixture fx;
    QVERIFY(fx.build());
    const QString path = fx.dir.filePath(QStringLiteral("trials.csv"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("someone else's notes\n");
    }
    SessionExportOptions o;
    o.format = QStringLiteral("csv");
    o.out = path;
    SessionExport refused(o);
    auto done = refused.run(*fx.store);
    QVERIFY(!done.ok());
    QCOMPARE(refused.failure(), SessionExport::Failure::BadInput);
    QCOMPARE(readAll(path), QByteArray("someone else's notes\n"));

    o.force = true;
    SessionExport forced(o);
    done = forced.run(*fx.store);
    QVERIFY2(done.ok(), qPrintable(done.error()));
    QVERIFY(!readAll(path).contains("someone else's notes"));
    QCOMPARE(readAll(path).trimmed().split('\n').size(), 3);

    // The same content again is no conflict, with or without force.
    o.force = false;
    SessionExport again(o);
    done = again.run(*fx.store);
    QVERIFY2(done.ok(), qPrintable(done.error()));
}

QTEST_GUILESS_MAIN(TestSessionExport)
#include "tst_sessionexport.moc"
