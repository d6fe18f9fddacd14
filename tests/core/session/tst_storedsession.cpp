#include "TestSupport.h"
#include "session/ResultStore.h"
#include "session/SessionLaunch.h"
#include "session/StoredSession.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;
using namespace dv::test;

namespace {

const QString kRmsnorm = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096");

/// Stores a session record as a colleague's database would hold it, without running anything.
qint64 storeRecord(ResultStore& store, const QString& deviceId, const QJsonObject& space)
{
    SessionRecord rec;
    rec.state = QStringLiteral("stopped");
    rec.device = DeviceInfo{deviceId, QStringLiteral("NVIDIA H100 80GB HBM3"), QStringLiteral("worker"), QStringLiteral("t"), {}};
    rec.kernel = QStringLiteral("k");
    rec.problem = QStringLiteral("[]");
    rec.space = space;
    rec.strategy = QStringLiteral("random");
    auto id = store.createSession(rec);
    if (!id)
        qWarning("%s", qPrintable(id.error()));
    return id ? id.value() : 0;
}

} // namespace

class TestStoredSession : public QObject {
    Q_OBJECT
private slots:
    void replaySessionGetsTheRecordedSpace()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("r.sqlite"));
        LaunchRequest r;
        r.databasePath = db;
        r.deviceId = kRmsnorm;
        r.options.strategy = QStringLiteral("random");
        r.options.maxEvaluations = 4;
        auto launched = SessionLaunch::open(r);
        QVERIFY2(launched, qPrintable(launched.error()));
        QVERIFY(launched->session->run());
        const qint64 id = launched->session->id();

        auto stored = StoredSession::open(*launched->store, id);
        QVERIFY2(stored, qPrintable(stored.error()));
        QCOMPARE(stored->record.id, id);
        QCOMPARE(stored->trials.size(), 4);
        QVERIFY(stored->recorded);
        QCOMPARE(stored->space.size(), datasetSpace(kRmsnorm).size());
        QVERIFY(stored->spaceError.isEmpty());
    }

    // A worker id from the store is never started: the stored space stands in for the device's.
    void workerSessionUsesTheStoredSpaceAndStartsNothing()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("r.sqlite")));
        QVERIFY(store);
        const QString marker = dir.filePath(QStringLiteral("ran"));
        const ConfigSpace space = datasetSpace(kRmsnorm);
        const qint64 id = storeRecord(*store.value(), QStringLiteral("worker:sh -c 'touch %1'").arg(marker), space.toJson());
        QVERIFY(id > 0);
        auto stored = StoredSession::open(*store.value(), id);
        QVERIFY2(stored, qPrintable(stored.error()));
        QVERIFY(!stored->recorded);
        QVERIFY2(stored->spaceError.isEmpty(), qPrintable(stored->spaceError));
        QCOMPARE(stored->space.size(), space.size());
        QVERIFY(stored->trials.isEmpty());
        QVERIFY(!QFileInfo::exists(marker));
    }

    void unreadableStoredSpaceIsReportedNotFatal()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("r.sqlite")));
        QVERIFY(store);
        const qint64 id = storeRecord(*store.value(), QStringLiteral("replay:h100/gone"),
                                      QJsonObject{{QStringLiteral("parameters"), QStringLiteral("not a list")}});
        QVERIFY(id > 0);
        auto stored = StoredSession::open(*store.value(), id);
        QVERIFY2(stored, qPrintable(stored.error()));
        QVERIFY(!stored->recorded);
        QCOMPARE(stored->space.size(), qint64(0));
        QVERIFY2(stored->spaceError.contains(QStringLiteral("session %1").arg(id)), qPrintable(stored->spaceError));
    }

    void unknownSessionIsAnError()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("r.sqlite")));
        QVERIFY(store);
        auto stored = StoredSession::open(*store.value(), 42);
        QVERIFY(!stored);
        QVERIFY2(stored.error().contains(QStringLiteral("42")), qPrintable(stored.error()));
    }
};

QTEST_GUILESS_MAIN(TestStoredSession)
#include "tst_storedsession.moc"
