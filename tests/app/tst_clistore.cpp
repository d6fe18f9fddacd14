// Result databases through `dejavu-tune`: a store the user may not write is still listed and
// exported (SQLite's read-only open), and files that are not stores of a known version, or not
// files at all, are refused untouched with exit status 2.
#include "CliRun.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

namespace {

using Run = dv::test::CliRun;

QByteArray bytesOf(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool rawSql(const QString& path, const QStringList& statements)
{
    bool ok = true;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("raw"));
        db.setDatabaseName(path);
        ok = db.open();
        QSqlQuery q(db);
        for (const QString& s : statements)
            ok = ok && q.exec(s);
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("raw"));
    return ok;
}

} // namespace

class TestCliStore : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

    /// Runs dejavu-tune; with `asNobody` as a user without write access to anything here (as
    /// root, whom permission bits do not stop, through setpriv; otherwise the user already is one).
    Run cli(const QStringList& args, bool asNobody = false) const
    {
        dv::test::CliEnv env = dv::test::inFolder(m_dir.path(), path(QStringLiteral("xdg")));
        env.timeoutMs = 60000;
        if (asNobody && ::geteuid() == 0)
            env.prefix = QStringList{QStandardPaths::findExecutable(QStringLiteral("setpriv")), QStringLiteral("--reuid=65534"),
                                     QStringLiteral("--regid=65534"), QStringLiteral("--clear-groups")};
        return dv::test::runCli(args, env);
    }

    QString tunedStore(const QString& name)
    {
        const QString db = path(name);
        const Run r = cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"),
                           QStringLiteral("--budget"), QStringLiteral("5"), QStringLiteral("--db"), db, QStringLiteral("--quiet")});
        if (r.exitCode != 0)
            qWarning("%s", r.err.constData());
        return db;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void readOnlyStoreIsListedAndExported()
    {
        if (::geteuid() == 0 && QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty())
            QSKIP("running as root without setpriv: no way to be a user that permissions stop");
        // A store in a directory nobody may write, itself read-only: a read-only mount's situation
        // for anyone but its owner. The export goes to a directory that is writable.
        QDir().mkpath(path(QStringLiteral("ro")));
        QDir().mkpath(path(QStringLiteral("out")));
        const QString db = path(QStringLiteral("ro/runs.sqlite"));
        QVERIFY(QFile::rename(tunedStore(QStringLiteral("made.sqlite")), db));
        const QByteArray before = bytesOf(db);
        QVERIFY(!before.isEmpty());
        const auto readOnly = QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther;
        const auto traverse = QFile::ExeOwner | QFile::ExeGroup | QFile::ExeOther;
        QVERIFY(QFile::setPermissions(m_dir.path(), readOnly | traverse | QFile::WriteOwner));
        QVERIFY(QFile::setPermissions(path(QStringLiteral("ro")), readOnly | traverse));
        QVERIFY(QFile::setPermissions(db, readOnly));
        QVERIFY(QFile::setPermissions(path(QStringLiteral("out")), readOnly | traverse | QFile::WriteOwner | QFile::WriteGroup | QFile::WriteOther));

        const Run list = cli({QStringLiteral("sessions"), QStringLiteral("--db"), db}, true);
        QVERIFY2(list.exitCode == 0, list.err.constData());
        QVERIFY2(list.out.contains("replay:h100/triton_rmsnorm_fp16_rows16_N4096"), list.out.constData());
        const QString csv = path(QStringLiteral("out/s1.csv"));
        const Run exported = cli({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--format"), QStringLiteral("csv"),
                                  QStringLiteral("--out"), csv}, true);
        QVERIFY2(exported.exitCode == 0, exported.err.constData());
        QCOMPARE(bytesOf(csv).count('\n'), 6); // a header and five trials
        // Nothing was written next to the store, nor into it.
        QCOMPARE(QDir(path(QStringLiteral("ro"))).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("runs.sqlite")});
        QCOMPARE(bytesOf(db), before);
        QVERIFY(QFile::setPermissions(path(QStringLiteral("ro")), readOnly | traverse | QFile::WriteOwner));
    }

    void garbageSchemaVersionIsNotRewritten()
    {
        const QString db = tunedStore(QStringLiteral("garbage-version.sqlite"));
        QVERIFY(rawSql(db, {QStringLiteral("UPDATE meta SET value = 'garbage' WHERE key = 'schema_version'")}));
        const QByteArray before = bytesOf(db);
        const Run r = cli({QStringLiteral("sessions"), QStringLiteral("--db"), db});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QByteArray(db.toUtf8() + ": meta.schema_version 'garbage' is not a schema version (1 to 3); the store is left untouched")),
                 r.err.constData());
        QCOMPARE(bytesOf(db), before);
    }

    void otherProgramsDatabaseGetsNoTables()
    {
        const QString db = path(QStringLiteral("photos.sqlite"));
        QVERIFY(rawSql(db, {QStringLiteral("CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT)")}));
        const QByteArray before = bytesOf(db);
        for (const QStringList& args : {QStringList{QStringLiteral("sessions"), QStringLiteral("--db"), db},
                                        QStringList{QStringLiteral("tune"), QStringLiteral("--device"),
                                                    QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"), QStringLiteral("--budget"),
                                                    QStringLiteral("2"), QStringLiteral("--db"), db, QStringLiteral("--quiet")}}) {
            const Run r = cli(args);
            QVERIFY2(r.exitCode == 2, r.err.constData());
            QVERIFY2(r.err.contains(QByteArray(db.toUtf8() + ": a SQLite database of another program (tables photos")), r.err.constData());
            QCOMPARE(bytesOf(db), before);
        }
    }

    void storeMustBeARegularFile()
    {
        const QString fifo = path(QStringLiteral("store.fifo"));
        QCOMPARE(QProcess::execute(QStringLiteral("mkfifo"), {fifo}), 0);
        const QString dir = path(QStringLiteral("store.dir"));
        QVERIFY(QDir().mkpath(dir));
        for (const QString& db : {fifo, dir}) {
            for (const QStringList& args : {QStringList{QStringLiteral("sessions"), QStringLiteral("--db"), db},
                                            QStringList{QStringLiteral("tune"), QStringLiteral("--device"),
                                                        QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"), QStringLiteral("--budget"),
                                                        QStringLiteral("2"), QStringLiteral("--db"), db, QStringLiteral("--quiet")}}) {
                const Run r = cli(args);
                QVERIFY2(r.exitCode == 2, r.err.constData());
                QVERIFY2(r.err.contains(QByteArray(db.toUtf8() + ": not a regular file")), r.err.constData());
            }
        }
        QVERIFY(QFileInfo(dir).isDir());
        QCOMPARE(QDir(dir).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestCliStore)
#include "tst_clistore.moc"
