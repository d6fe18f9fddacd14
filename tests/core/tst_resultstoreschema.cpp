// Opening a result store (core/ResultStoreSchema.cpp): read-only stores, files that are not
// stores, schema versions that are not versions, and paths that are not files. Every refusal
// leaves the file as it was.
#include "ResultStore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace dv;

namespace {

SessionRecord session(const QString& kernel)
{
    SessionRecord r;
    r.state = QStringLiteral("finished");
    r.device.id = QStringLiteral("replay:x");
    r.device.name = QStringLiteral("NVIDIA H100 80GB HBM3");
    r.device.backend = QStringLiteral("replay");
    r.device.toolchain = QStringLiteral("replay sha256:0");
    r.kernel = kernel;
    r.problem = QStringLiteral("[16,4096]");
    r.strategy = QStringLiteral("grid");
    return r;
}

Trial trial(qint64 sessionId, int seq, double ms)
{
    Trial t;
    t.sessionId = sessionId;
    t.sequence = seq;
    t.spaceIndex = seq - 1;
    t.config = QJsonObject{{QStringLiteral("BLOCK"), 64 * seq}};
    t.configKey = QStringLiteral("{\"BLOCK\":%1}").arg(64 * seq);
    t.measurement.status = Status::Ok;
    t.measurement.objectiveMs = ms;
    t.measurement.samplesMs = {ms};
    t.startedAt = QDateTime::currentDateTimeUtc();
    t.finishedAt = t.startedAt;
    return t;
}

/// A store with one session of two trials, closed again (its WAL checkpointed away).
void makeStore(const QString& path)
{
    auto store = ResultStore::open(path);
    QVERIFY2(store, qPrintable(store.error()));
    const qint64 id = store.value()->createSession(session(QStringLiteral("rmsnorm"))).value();
    QVERIFY(store.value()->appendTrial(trial(id, 1, 0.25), 1));
    QVERIFY(store.value()->appendTrial(trial(id, 2, 0.125), 2));
}

/// Runs statements on a connection of its own; false on an SQL error.
bool rawSql(const QString& path, const QStringList& statements)
{
    bool ok = true;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("raw"));
        db.setDatabaseName(path);
        ok = db.open();
        QSqlQuery q(db);
        for (const QString& s : statements) {
            if (ok && !q.exec(s)) {
                qWarning("%s: %s", qPrintable(s), qPrintable(q.lastError().text()));
                ok = false;
            }
        }
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("raw"));
    return ok;
}

QByteArray bytesOf(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QStringList filesIn(const QString& dir)
{
    return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System, QDir::Name);
}

} // namespace

class TestResultStoreSchema : public QObject {
    Q_OBJECT
private slots:
    void readOnlyOpenWritesNothing()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("runs.sqlite"));
        makeStore(path);
        const QByteArray before = bytesOf(path);
        QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("runs.sqlite")});
        {
            auto store = ResultStore::open(path, ResultStore::Access::ReadOnly);
            QVERIFY2(store, qPrintable(store.error()));
            QVERIFY(store.value()->isReadOnly());
            auto list = store.value()->sessions();
            QVERIFY2(list, qPrintable(list.error()));
            QCOMPARE(list->size(), 1);
            QCOMPARE(*list->first().bestMs, 0.125);
            QCOMPARE(store.value()->trials(1)->size(), 2);
            // SQLite itself refuses a write: the read-only open is SQLite's, not a promise.
            auto refused = store.value()->createSession(session(QStringLiteral("other")));
            QVERIFY(!refused);
            QVERIFY2(refused.error().contains(QLatin1String("readonly")) || refused.error().contains(QLatin1String("read-only")),
                     qPrintable(refused.error()));
            // Immutable: no journal, no shared-memory file next to the store (a read-only mount has no room for them).
            QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("runs.sqlite")});
        }
        QCOMPARE(bytesOf(path), before);
    }

    void readOnlyOpenReadsAnUncheckpointedLog()
    {
        // While a writer holds the store open its last commits live in runs.sqlite-wal only;
        // a read-only reader must see them (immutable would not).
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("runs.sqlite"));
        makeStore(path);
        auto writer = ResultStore::open(path);
        QVERIFY2(writer, qPrintable(writer.error()));
        QVERIFY(writer.value()->createSession(session(QStringLiteral("while-open"))));
        QVERIFY(QFileInfo(path + QStringLiteral("-wal")).size() > 0);
        auto reader = ResultStore::open(path, ResultStore::Access::ReadOnly);
        QVERIFY2(reader, qPrintable(reader.error()));
        auto list = reader.value()->sessions();
        QVERIFY2(list, qPrintable(list.error()));
        QCOMPARE(list->size(), 2);
        QCOMPARE(list->first().kernel, QStringLiteral("while-open"));
    }

    void readOnlyNeedsACurrentStore_data()
    {
        QTest::addColumn<QStringList>("statements");
        QTest::addColumn<QString>("message");
        QTest::newRow("empty file") << QStringList() << "holds no result store (an empty database)";
        QTest::newRow("older schema") << QStringList{QStringLiteral("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
                                                     QStringLiteral("INSERT INTO meta VALUES('schema_version', '2')"),
                                                     QStringLiteral("CREATE TABLE sessions(id INTEGER PRIMARY KEY)")}
                                      << "schema 2 needs an upgrade to 3, which a read-only store cannot take";
    }

    void readOnlyNeedsACurrentStore()
    {
        QFETCH(QStringList, statements);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.sqlite"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        QVERIFY(rawSql(path, statements));
        const QByteArray before = bytesOf(path);
        auto store = ResultStore::open(path, ResultStore::Access::ReadOnly);
        QVERIFY(!store);
        QVERIFY2(store.error().startsWith(path + QStringLiteral(": ") + message), qPrintable(store.error()));
        QCOMPARE(bytesOf(path), before);
    }

    void unknownSchemaVersionIsRefused_data()
    {
        QTest::addColumn<QString>("version");
        QTest::newRow("text") << "garbage";
        QTest::newRow("empty") << "";
        QTest::newRow("zero") << "0";
        QTest::newRow("negative") << "-1";
        QTest::newRow("fraction") << "2.5";
        QTest::newRow("trailing text") << "3x";
    }

    void unknownSchemaVersionIsRefused()
    {
        // The listing used to read 'garbage' as 0, "upgrade" the store and write 3 over it.
        QFETCH(QString, version);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.sqlite"));
        makeStore(path);
        QVERIFY(rawSql(path, {QStringLiteral("UPDATE meta SET value = '%1' WHERE key = 'schema_version'").arg(version)}));
        const QByteArray before = bytesOf(path);
        for (auto access : {ResultStore::Access::ReadWrite, ResultStore::Access::ReadOnly}) {
            auto store = ResultStore::open(path, access);
            QVERIFY(!store);
            QCOMPARE(store.error(), path + QStringLiteral(": meta.schema_version '%1' is not a schema version (1 to 3); the store is left untouched").arg(version));
            QCOMPARE(bytesOf(path), before);
        }
    }

    void foreignSqliteFileIsLeftAlone_data()
    {
        QTest::addColumn<QStringList>("statements");
        QTest::addColumn<QString>("tables");
        QTest::newRow("other tables") << QStringList{QStringLiteral("CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT)"),
                                                     QStringLiteral("CREATE TABLE albums(id INTEGER PRIMARY KEY)"),
                                                     QStringLiteral("INSERT INTO photos VALUES(1, 'cat.jpg')")}
                                      << "albums, photos";
        QTest::newRow("a meta table of its own") << QStringList{QStringLiteral("CREATE TABLE meta(key TEXT, value TEXT)"),
                                                                QStringLiteral("INSERT INTO meta VALUES('owner', 'someone else')")}
                                                 << "meta";
    }

    void foreignSqliteFileIsLeftAlone()
    {
        QFETCH(QStringList, statements);
        QFETCH(QString, tables);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("photos.sqlite"));
        QVERIFY(rawSql(path, statements));
        const QByteArray before = bytesOf(path);
        auto store = ResultStore::open(path);
        QVERIFY(!store);
        QCOMPARE(store.error(), path + QStringLiteral(": a SQLite database of another program (tables %1, no schema_version in a meta table), "
                                                      "not a Deja Vu result store; left untouched").arg(tables));
        QCOMPARE(bytesOf(path), before);
        QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("photos.sqlite")});
    }

    void pathMustBeARegularFile_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("directory") << "directory";
        QTest::newRow("fifo") << "fifo";
        QTest::newRow("link to a fifo") << "link";
    }

    void pathMustBeARegularFile()
    {
        QFETCH(QString, kind);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("store"));
        if (kind == QLatin1String("directory")) {
            QVERIFY(QDir().mkpath(path));
        } else {
            const QString fifo = kind == QLatin1String("fifo") ? path : dir.filePath(QStringLiteral("pipe"));
            QCOMPARE(QProcess::execute(QStringLiteral("mkfifo"), {fifo}), 0);
            if (fifo != path)
                QVERIFY(QFile::link(fifo, path));
        }
        for (auto access : {ResultStore::Access::ReadWrite, ResultStore::Access::ReadOnly}) {
            auto store = ResultStore::open(path, access);
            QVERIFY(!store);
            QCOMPARE(store.error(), path + QStringLiteral(": not a regular file (a directory, FIFO, socket or device); a result store is a file"));
        }
        auto reading = ResultStore::openForReading(path);
        QVERIFY(!reading);
        QVERIFY2(reading.error().contains(QLatin1String("not a regular file")), qPrintable(reading.error()));
    }

    void readingNeverCreates()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("typo.sqlite"));
        auto store = ResultStore::openForReading(path);
        QVERIFY(!store);
        QCOMPARE(store.error(), path + QStringLiteral(": no such result database"));
        QVERIFY(!QFileInfo::exists(path));
    }

    void badTimesInAStoreAreRefused_data()
    {
        QTest::addColumn<QString>("table");
        QTest::addColumn<QString>("update");
        QTest::addColumn<QString>("message");
        QTest::newRow("negative") << "trials" << "objective_ms = -1" << "session 1, trial 2: objective_ms -1 is not a time > 0 for an ok trial";
        QTest::newRow("zero") << "trials" << "objective_ms = 0" << "session 1, trial 2: objective_ms 0 is not a time > 0 for an ok trial";
        QTest::newRow("null") << "trials" << "objective_ms = NULL" << "session 1, trial 2: objective_ms nan is not a time > 0 for an ok trial";
        QTest::newRow("negative sample") << "trials" << "samples = '[0.1,-0.2]'" << "session 1, trial 2: samples holds -0.2, not a time > 0";
        QTest::newRow("negative round") << "remeasurements" << "objective_ms = -3"
                                        << "session 1, re-measurement round 1 position 1: objective_ms -3 is not a time > 0";
    }

    void badTimesInAStoreAreRefused()
    {
        // A store edited by something else: its "best" would be a time no kernel took.
        QFETCH(QString, table);
        QFETCH(QString, update);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.sqlite"));
        makeStore(path);
        {
            // One re-measurement round of trial 2, for the rows that edit it.
            auto store = ResultStore::open(path);
            Remeasurement r;
            r.sessionId = 1;
            r.pass = 1;
            r.round = 1;
            r.position = 1;
            r.configKey = QStringLiteral("{\"BLOCK\":128}");
            r.config = QJsonObject{{QStringLiteral("BLOCK"), 128}};
            r.measurement.status = Status::Ok;
            r.measurement.objectiveMs = 0.5;
            r.measuredAt = QDateTime::currentDateTimeUtc();
            QVERIFY(store.value()->appendRemeasurement(r));
            QCOMPARE(store.value()->trials(1)->at(1).remeasuredMs, QVector<double>{0.5});
        }
        QVERIFY(rawSql(path, {QStringLiteral("UPDATE %1 SET %2 WHERE %3").arg(table, update, table == QLatin1String("trials") ? QStringLiteral("seq = 2")
                                                                                                                               : QStringLiteral("round = 1"))}));
        auto store = ResultStore::open(path);
        QVERIFY2(store, qPrintable(store.error()));
        auto trials = store.value()->trials(1);
        QVERIFY(!trials);
        QCOMPARE(trials.error(), path + QStringLiteral(": ") + message);
    }
};

QTEST_GUILESS_MAIN(TestResultStoreSchema)
#include "tst_resultstoreschema.moc"
