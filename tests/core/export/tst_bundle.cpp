#include "export/Bundle.h"

#include "TestSupport.h"
#include "session/Session.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>

#include <archive.h>
#include <archive_entry.h>

#include <optional>

using namespace dv;
using namespace dv::test;

namespace {

const QString kRows16 = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096");
const QString kRows256 = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows256_N4096");

/// One replayed session of `budget` random evaluations; returns its id.
qint64 tuneReplay(ResultStore& store, const QString& device, int budget, quint64 seed)
{
    SessionOptions o;
    o.strategy = QStringLiteral("random");
    o.seed = seed;
    o.maxEvaluations = budget;
    o.remeasureTop = 0;
    auto s = Session::create(store, openDevice(device), o);
    if (!s)
        qFatal("%s", qPrintable(s.error()));
    if (auto r = s.value()->run(); !r)
        qFatal("%s", qPrintable(r.error()));
    return s.value()->id();
}

struct RawEntry {
    QString path;
    QByteArray data;
    unsigned type = AE_IFREG;
    QString link;      ///< symlink target
    QString hardlink;  ///< hard link target
    qint64 declaredSize = -1;
};

RawEntry file(const QString& path, const QByteArray& data)
{
    RawEntry e;
    e.path = path;
    e.data = data;
    return e;
}

RawEntry special(const QString& path, unsigned type, const QString& link = {}, const QString& hardlink = {})
{
    RawEntry e;
    e.path = path;
    e.type = type;
    e.link = link;
    e.hardlink = hardlink;
    return e;
}

la_ssize_t appendTo(struct archive*, void* client, const void* buffer, size_t length)
{
    static_cast<QByteArray*>(client)->append(static_cast<const char*>(buffer), qsizetype(length));
    return la_ssize_t(length);
}

/// A tar.gz written entry by entry, hostile ones included.
QByteArray rawArchive(const QVector<RawEntry>& entries)
{
    QByteArray bytes;
    struct archive* a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    archive_write_open(a, &bytes, nullptr, appendTo, nullptr);
    for (const RawEntry& r : entries) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, r.path.toUtf8().constData());
        archive_entry_set_filetype(e, r.type);
        archive_entry_set_perm(e, 0644);
        if (!r.link.isEmpty())
            archive_entry_set_symlink(e, r.link.toUtf8().constData());
        if (!r.hardlink.isEmpty())
            archive_entry_set_hardlink(e, r.hardlink.toUtf8().constData());
        archive_entry_set_size(e, r.type == AE_IFREG && r.hardlink.isEmpty() ? (r.declaredSize >= 0 ? r.declaredSize : r.data.size()) : 0);
        archive_write_header(a, e);
        if (r.type == AE_IFREG && !r.data.isEmpty())
            archive_write_data(a, r.data.constData(), size_t(r.data.size()));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return bytes;
}

QStringList filesBelow(const QString& root)
{
    QStringList out;
    QDirIterator it(root, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext())
        out.append(QDir(root).relativeFilePath(it.next()));
    out.sort();
    return out;
}

int sessionCount(const QString& db)
{
    auto store = openStore(db);
    return int(store->sessions()->size());
}

QByteArray readBytes(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// Runs `statements` on a connection of its own (closed again, so the WAL is checkpointed),
/// then returns every row of the store's tables as text, per table; none on an SQL error.
std::optional<QMap<QString, QStringList>> sql(const QString& path, const QStringList& statements)
{
    std::optional<QMap<QString, QStringList>> rows;
    const QString name = QStringLiteral("tst_bundle_raw");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery q(db);
            bool ok = true;
            for (const QString& s : statements)
                ok = ok && q.exec(s);
            if (!ok)
                qWarning("%s", qPrintable(q.lastError().text()));
            QMap<QString, QStringList> all;
            for (const char* table : {"sessions", "trials", "remeasurements", "sqlite_sequence", "meta"}) {
                ok = ok && q.exec(QStringLiteral("SELECT * FROM %1 ORDER BY rowid").arg(QLatin1String(table)));
                while (ok && q.next()) {
                    QStringList values;
                    for (int i = 0; i < q.record().count(); ++i)
                        values.append(q.value(i).toString());
                    all[QLatin1String(table)].append(values.join(QLatin1Char('|')));
                }
            }
            if (ok)
                rows = all;
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return rows;
}

} // namespace

class TestBundle : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_db;
    QString m_exports;
    Bundle m_good;

    QByteArray goodArchive() const { return m_good.toArchive().value(); }

private slots:
    void initTestCase()
    {
        m_db = m_dir.filePath(QStringLiteral("campaign.db"));
        auto store = openStore(m_db);
        const qint64 a = tuneReplay(*store, kRows16, 6, 1);
        const qint64 b = tuneReplay(*store, kRows256, 6, 2);
        m_exports = m_dir.filePath(QStringLiteral("triton-cache"));
        QDir().mkpath(m_exports + QStringLiteral("/ABC"));
        QFile f(m_exports + QStringLiteral("/ABC/rmsnorm_kernel.autotune.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"key\": [\"4096\"], \"configs_timings\": []}");
        f.close();
        auto bundle = Bundle::fromSessions(*store, {a, b}, 0, QStringLiteral("triton_rmsnorm_fp16"), {{QStringLiteral("triton-cache"), m_exports}});
        QVERIFY2(bundle, qPrintable(bundle.error()));
        m_good = bundle.value();
    }

    void manifestDescribesTheCampaign()
    {
        const BundleManifest& m = m_good.manifest;
        QCOMPARE(m.kernel, QStringLiteral("triton_rmsnorm_fp16"));
        QCOMPARE(m.entries.size(), 2);
        QCOMPARE(m.entries[0].key, 16);
        QCOMPARE(m.entries[1].key, 256);
        QCOMPARE(m.entries[0].gpu, QStringLiteral("NVIDIA H100 80GB HBM3"));
        QCOMPARE(m.entries[0].evaluations, 6);
        QVERIFY(m.entries[0].bestMs > 0);
        QCOMPARE(m.members.size(), 3); // two sessions, one export file
        QCOMPARE(m.members.last().path, QStringLiteral("sessions/2.json"));
        QCOMPARE(m.members.first().path, QStringLiteral("exports/triton-cache/ABC/rmsnorm_kernel.autotune.json"));
    }

    void roundTripAndImport()
    {
        auto back = Bundle::fromArchive(goodArchive(), QStringLiteral("good.tar.gz"));
        QVERIFY2(back, qPrintable(back.error()));
        QCOMPARE(back->members, m_good.members);
        QCOMPARE(back->manifest.contentSha256, m_good.manifest.contentSha256);
        QCOMPARE(back->manifest.toJson(), m_good.manifest.toJson());

        QTemporaryDir target;
        const QString db = target.filePath(QStringLiteral("imported.db"));
        auto store = openStore(db);
        auto report = back->importInto(*store, target.filePath(QStringLiteral("out")), false);
        QVERIFY2(report, qPrintable(report.error()));
        QCOMPARE(report->newSessions.size(), 2);
        QCOMPARE(report->writtenFiles.size(), 1);
        QVERIFY(QFile::exists(target.filePath(QStringLiteral("out/triton-cache/ABC/rmsnorm_kernel.autotune.json"))));
        // The imported trials are the originals.
        auto original = openStore(m_db);
        auto before = original->trials(1);
        auto after = store->trials(report->newSessions.first());
        QCOMPARE(after->size(), before->size());
        for (int i = 0; i < before->size(); ++i) {
            QCOMPARE(after->at(i).config, before->at(i).config);
            QCOMPARE(after->at(i).measurement.objectiveMs, before->at(i).measurement.objectiveMs);
        }
        // Importing again adds nothing and rewrites nothing.
        auto again = back->importInto(*store, target.filePath(QStringLiteral("out")), false);
        QVERIFY2(again, qPrintable(again.error()));
        QCOMPARE(again->newSessions.size(), 0);
        QCOMPARE(again->skippedSessions, 2);
        QCOMPARE(again->unchangedFiles.size(), 1);
    }

    void retarredBundleIsAccepted()
    {
        // `tar -C extracted -czf x.tar.gz .`: "./" prefixes and directory entries.
        QVector<RawEntry> entries{special(QStringLiteral("./"), AE_IFDIR), file(QStringLiteral("./manifest.json"), m_good.manifest.toJson())};
        QStringList dirs;
        for (auto it = m_good.members.begin(); it != m_good.members.end(); ++it) {
            const QString dir = it.key().section(QLatin1Char('/'), 0, -2);
            if (!dirs.contains(dir)) {
                dirs.append(dir);
                entries.append(special(QStringLiteral("./") + dir + QLatin1Char('/'), AE_IFDIR));
            }
            entries.append(file(QStringLiteral("./") + it.key(), it.value()));
        }
        auto b = Bundle::fromArchive(rawArchive(entries), QStringLiteral("retarred.tar.gz"));
        QVERIFY2(b, qPrintable(b.error()));
        QCOMPARE(b->members, m_good.members);
    }

    void outOfRangeNumbersAreRefused_data()
    {
        // Found by fuzz_bundle_json (UBSan): numbers were converted before they were checked, so 1e300
        // was undefined behaviour and a sequence number of 2^32 + 1 was imported as 1.
        QTest::addColumn<bool>("manifest");
        QTest::addColumn<QString>("object");
        QTest::addColumn<QString>("field");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("error");
        QTest::newRow("sequence beyond int") << false << QStringLiteral("trial") << QStringLiteral("sequence") << 4294967297.0
                                             << QStringLiteral("sessions/1.json: trials[0].sequence: expected an integer from 1 to 2147483647, got 4294967297");
        QTest::newRow("sequence 0") << false << QStringLiteral("trial") << QStringLiteral("sequence") << 0.0
                                    << QStringLiteral("sessions/1.json: trials[0].sequence: expected an integer from 1 to 2147483647, got 0");
        QTest::newRow("space index beyond 2^53") << false << QStringLiteral("trial") << QStringLiteral("space_index") << 1e300
                                                 << QStringLiteral("sessions/1.json: trials[0].space_index: expected an integer from -1 to 9007199254740992, got 1e+300");
        QTest::newRow("budget beyond int") << false << QStringLiteral("session") << QStringLiteral("budget_evaluations") << 1e10
                                           << QStringLiteral("sessions/1.json: session.budget_evaluations: expected an integer from 0 to 2147483647, got 10000000000");
        QTest::newRow("negative re-measure rounds") << false << QStringLiteral("session") << QStringLiteral("remeasure_rounds") << -3.0
                                                    << QStringLiteral("sessions/1.json: session.remeasure_rounds: expected an integer from 0 to 2147483647, got -3");
        QTest::newRow("fraction") << false << QStringLiteral("session") << QStringLiteral("budget_stall") << 0.5
                                  << QStringLiteral("sessions/1.json: session.budget_stall: expected an integer from 0 to 2147483647, got 0.5");
        QTest::newRow("key position beyond int") << true << QString() << QStringLiteral("key_position") << 1e20
                                                 << QStringLiteral("manifest.json.key_position: expected an integer from 0 to 2147483647, got 1e+20");
        QTest::newRow("evaluations beyond int") << true << QStringLiteral("entry") << QStringLiteral("evaluations") << 4294967296.0
                                                << QStringLiteral("manifest.json.entries[0].evaluations: expected an integer from 0 to 2147483647, got 4294967296");
    }

    void outOfRangeNumbersAreRefused()
    {
        QFETCH(bool, manifest);
        QFETCH(QString, object);
        QFETCH(QString, field);
        QFETCH(double, value);
        QFETCH(QString, error);
        QJsonObject root = QJsonDocument::fromJson(manifest ? m_good.manifest.toJson() : m_good.members.value(QStringLiteral("sessions/1.json"))).object();
        QVERIFY(!root.isEmpty());
        const QString list = object == QLatin1String("trial") ? QStringLiteral("trials") : QStringLiteral("entries");
        if (object == QLatin1String("session")) {
            QJsonObject session = root.value(QLatin1String("session")).toObject();
            session.insert(field, value);
            root.insert(QStringLiteral("session"), session);
        } else if (!object.isEmpty()) {
            QJsonArray items = root.value(list).toArray();
            QJsonObject first = items.first().toObject();
            first.insert(field, value);
            items.replace(0, first);
            root.insert(list, items);
        } else {
            root.insert(field, value);
        }
        const QByteArray json = QJsonDocument(root).toJson();
        if (manifest) {
            auto m = BundleManifest::fromJson(json);
            QVERIFY(!m);
            QCOMPARE(m.error(), error);
        } else {
            auto parsed = Bundle::parseSession(json, QStringLiteral("sessions/1.json"));
            QVERIFY(!parsed);
            QCOMPARE(parsed.error(), error);
        }
    }

    void hostileArchivesAreRefused_data()
    {
        QTest::addColumn<QByteArray>("archive");
        QTest::addColumn<QString>("message");
        const QByteArray manifest = m_good.manifest.toJson();
        QTest::newRow("path traversal") << rawArchive({file(QStringLiteral("manifest.json"), manifest), file(QStringLiteral("exports/../../evil.sh"), "x")})
                                        << "'..' in the path";
        QTest::newRow("absolute path") << rawArchive({file(QStringLiteral("/tmp/evil"), "x"), file(QStringLiteral("manifest.json"), manifest)}) << "absolute path";
        QTest::newRow("symlink") << rawArchive({file(QStringLiteral("manifest.json"), manifest),
                                                special(QStringLiteral("exports/x"), AE_IFLNK, QStringLiteral("/etc/passwd"))})
                                 << "symbolic link";
        QTest::newRow("hardlink") << rawArchive({file(QStringLiteral("manifest.json"), manifest),
                                                 special(QStringLiteral("exports/x"), AE_IFREG, {}, QStringLiteral("/etc/passwd"))})
                                  << "hard link";
        QTest::newRow("device") << rawArchive({file(QStringLiteral("manifest.json"), manifest), special(QStringLiteral("exports/null"), AE_IFCHR)})
                                << "not a regular file";
        QTest::newRow("oversized member") << rawArchive({file(QStringLiteral("manifest.json"), manifest),
                                                         file(QStringLiteral("exports/big"), QByteArray(200000, 'a'))})
                                          << "more than the 100000";
        Bundle tampered = m_good;
        tampered.members[QStringLiteral("sessions/1.json")].replace("\"random\"", "\"bayes\" ");
        QTest::newRow("bad checksum") << tampered.toArchive().value() << "does not match manifest.json";
        Bundle extra = m_good;
        extra.members.insert(QStringLiteral("exports/unlisted"), "x");
        QTest::newRow("unlisted member") << extra.toArchive().value() << "not listed in manifest.json";
        const QByteArray good = goodArchive();
        QTest::newRow("truncated") << good.left(good.size() / 2) << "truncated";
        QTest::newRow("not an archive") << QByteArray("hello") << "not a readable bundle archive";
        QTest::newRow("no manifest") << rawArchive({file(QStringLiteral("sessions/1.json"), "{}")}) << "no manifest.json";
        // Limits on what reading may cost, each named in the error (limits: 100000 bytes a member, 50 members).
        QVector<RawEntry> dirs{file(QStringLiteral("manifest.json"), manifest)};
        for (int i = 0; i < 60; ++i)
            dirs.append(special(QStringLiteral("exports/d%1/").arg(i), AE_IFDIR));
        QTest::newRow("many directories") << rawArchive(dirs) << "more than 50 members (files and directories)";
        // A 400000-character name travels in a pax header that is inflated before any member.
        QTest::newRow("huge header") << rawArchive({file(QStringLiteral("exports/") + QString(400000, QLatin1Char('n')), "x")})
                                     << "inflates to more than 304800 bytes";
        QTest::newRow("long path quoted clipped") << rawArchive({file(QStringLiteral("x/") + QString(3000, QLatin1Char('n')), "x")})
                                                  << QString::fromUtf8("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\u2026 (3002 characters): outside");
    }

    void hostileArchivesAreRefused()
    {
        QFETCH(QByteArray, archive);
        QFETCH(QString, message);
        BundleLimits limits;
        limits.maxMemberBytes = 100000;
        limits.maxTotalBytes = 100000;
        limits.maxMembers = 50;
        auto b = Bundle::fromArchive(archive, QStringLiteral("evil.tar.gz"), limits);
        QVERIFY(!b);
        QVERIFY2(b.error().contains(message), qPrintable(b.error()));
        QVERIFY2(b.error().size() < 400, qPrintable(b.error().left(400))); // untrusted names are quoted clipped
        QVERIFY(b.error().startsWith(QLatin1String("evil.tar.gz")));
    }

    void refusedImportWritesNothing_data()
    {
        QTest::addColumn<QByteArray>("archive");
        const QByteArray manifest = m_good.manifest.toJson();
        QTest::newRow("path traversal") << rawArchive({file(QStringLiteral("manifest.json"), manifest), file(QStringLiteral("exports/../../evil.sh"), "x")});
        QTest::newRow("symlink") << rawArchive({file(QStringLiteral("manifest.json"), manifest),
                                                special(QStringLiteral("exports/x"), AE_IFLNK, QStringLiteral("../../x"))});
        QTest::newRow("oversized member") << rawArchive({file(QStringLiteral("manifest.json"), manifest),
                                                         file(QStringLiteral("exports/big"), QByteArray((64 << 20) + 1, 'a'))});
        Bundle tampered = m_good;
        tampered.members[QStringLiteral("exports/triton-cache/ABC/rmsnorm_kernel.autotune.json")] = "{}";
        QTest::newRow("bad checksum") << tampered.toArchive().value();
        const QByteArray good = goodArchive();
        QTest::newRow("truncated") << good.left(good.size() - 40);
    }

    void refusedImportWritesNothing()
    {
        // Through the command line, as a user would run it: exit status 2, target directory
        // and database exactly as before.
        QFETCH(QByteArray, archive);
        QTemporaryDir target;
        const QString db = target.filePath(QStringLiteral("store.db"));
        tuneReplay(*openStore(db), kRows16, 2, 7);
        const QString outDir = target.filePath(QStringLiteral("exports"));
        QDir().mkpath(outDir);
        const QString file = target.filePath(QStringLiteral("evil.tar.gz"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(archive);
        f.close();
        const QStringList before = filesBelow(target.path());
        QFile dbFile(db);
        QVERIFY(dbFile.open(QIODevice::ReadOnly));
        const QByteArray dbBefore = dbFile.readAll();
        dbFile.close();

        QProcess p;
        p.start(QStringLiteral(DEJAVU_TUNE_PATH), {QStringLiteral("bundle"), QStringLiteral("import"), file, QStringLiteral("--db"), db,
                                                    QStringLiteral("--exports"), outDir});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(!p.readAllStandardError().isEmpty());
        QCOMPARE(filesBelow(target.path()), before);
        QVERIFY(dbFile.open(QIODevice::ReadOnly));
        QCOMPARE(dbFile.readAll(), dbBefore);
        dbFile.close();
        QCOMPARE(sessionCount(db), 1);
    }

    void importFailingPartwayChangesNothing()
    {
        // The database itself refuses a row of the bundle's second session (a trigger, as a
        // constraint of another schema would): the first session, already inserted, goes too.
        QTemporaryDir target;
        const QString db = target.filePath(QStringLiteral("store.db"));
        tuneReplay(*openStore(db), kRows16, 2, 7);
        QCOMPARE(m_good.manifest.entries.size(), 2);
        const QString second = m_good.manifest.entries[1].problem;
        QString trigger = QStringLiteral("CREATE TRIGGER reject_second BEFORE INSERT ON trials"
                                         " WHEN NEW.seq = 3 AND (SELECT problem FROM sessions WHERE id = NEW.session_id) = '%1'"
                                         " BEGIN SELECT RAISE(ABORT, 'rejected by the test'); END").arg(QString(second).replace(QLatin1Char('\''), QStringLiteral("''")));
        QVERIFY(sql(db, {trigger}).has_value());
        const auto rowsBefore = sql(db, {});
        QVERIFY(rowsBefore.has_value());
        QCOMPARE(rowsBefore->count(QStringLiteral("sessions")), 1);
        const QByteArray bytesBefore = readBytes(db);
        const QString out = target.filePath(QStringLiteral("out"));
        {
            auto store = openStore(db);
            auto report = m_good.importInto(*store, out, false);
            QVERIFY(!report);
            QVERIFY2(report.error().contains(QLatin1String("rejected by the test")), qPrintable(report.error()));
            QVERIFY2(report.error().contains(QLatin1String("storing trial 3")), qPrintable(report.error()));
            // The store stays usable after the rollback.
            QCOMPARE(store->sessions()->size(), 1);
        }
        QCOMPARE(sql(db, {}), rowsBefore);
        QCOMPARE(readBytes(db), bytesBefore);
        QVERIFY(!QFileInfo::exists(out)); // the files come after the database
        // Without the trigger the same bundle imports: the refusal was the database's.
        QVERIFY(sql(db, {QStringLiteral("DROP TRIGGER reject_second")}).has_value());
        auto store = openStore(db);
        auto report = m_good.importInto(*store, out, false);
        QVERIFY2(report, qPrintable(report.error()));
        QCOMPARE(report->newSessions.size(), 2);
        QCOMPARE(store->sessions()->size(), 3);
    }

    void existingExportIsKeptWithoutForce()
    {
        QTemporaryDir target;
        const QString out = target.filePath(QStringLiteral("out"));
        QDir().mkpath(out + QStringLiteral("/triton-cache/ABC"));
        QFile f(out + QStringLiteral("/triton-cache/ABC/rmsnorm_kernel.autotune.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("mine");
        f.close();
        auto store = openStore(target.filePath(QStringLiteral("s.db")));
        auto refused = m_good.importInto(*store, out, false);
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(QLatin1String("--force")), qPrintable(refused.error()));
        QCOMPARE(store->sessions()->size(), 0); // nothing imported either
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("mine"));
        f.close();
        QVERIFY(m_good.importInto(*store, out, true));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().startsWith("{\"key\""));
    }

    void mergeKeepsTheFasterEntryPerKeyAndGpu()
    {
        QTemporaryDir dir;
        auto store = openStore(dir.filePath(QStringLiteral("other.db")));
        // A longer search of rows16 (the faster entry is the one with the lower best time) and
        // rows4096, a key the first bundle does not have.
        const qint64 longer = tuneReplay(*store, kRows16, 40, 3);
        const qint64 other = tuneReplay(*store, QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows4096_N4096"), 4, 4);
        auto second = Bundle::fromSessions(*store, {longer, other}, 0, QStringLiteral("triton_rmsnorm_fp16"), {});
        QVERIFY2(second, qPrintable(second.error()));
        QStringList report;
        auto merged = Bundle::merge(m_good, QStringLiteral("a.tar.gz"), second.value(), QStringLiteral("b.tar.gz"), report);
        QVERIFY2(merged, qPrintable(merged.error()));
        QCOMPARE(merged->manifest.entries.size(), 3);
        const double a16 = m_good.manifest.entries[0].bestMs;
        const double b16 = second->manifest.entries[0].bestMs;
        const BundleEntry& e16 = merged->manifest.entries[0];
        QCOMPARE(e16.key, 16);
        QCOMPARE(e16.bestMs, std::min(a16, b16));
        QCOMPARE(e16.source, b16 < a16 ? QStringLiteral("b.tar.gz") : QStringLiteral("a.tar.gz"));
        QCOMPARE(merged->manifest.entries[2].source, QStringLiteral("b.tar.gz"));
        QCOMPARE(report.size(), 1);
        QVERIFY2(report.first().startsWith(QLatin1String("key 16 on NVIDIA H100 80GB HBM3")), qPrintable(report.first()));
        // The merged bundle is a valid bundle whose sessions are the chosen ones.
        auto back = Bundle::fromArchive(merged->toArchive().value(), QStringLiteral("merged.tar.gz"));
        QVERIFY2(back, qPrintable(back.error()));
        QVERIFY(back->members.contains(QStringLiteral("exports/triton-cache/ABC/rmsnorm_kernel.autotune.json")));
        // Other kernels do not merge.
        Bundle foreign = second.value();
        foreign.manifest.kernel = QStringLiteral("triton_matmul_fp16");
        QVERIFY(!Bundle::merge(m_good, QStringLiteral("a"), foreign, QStringLiteral("b"), report));
    }

    void relativeExportDirectoryIsStoredOnce()
    {
        // The README's `--export triton-cache=./triton-cache`: the files go in as
        // exports/triton-cache/<HASH>/..., where an import's TRITON_CACHE_DIR finds them.
        const QString before = QDir::currentPath();
        QVERIFY(QDir::setCurrent(m_dir.path()));
        auto store = openStore(m_db);
        auto b = Bundle::fromSessions(*store, {1}, 0, {}, {{QStringLiteral("triton-cache"), QStringLiteral("./triton-cache")}});
        QVERIFY(QDir::setCurrent(before));
        QVERIFY2(b, qPrintable(b.error()));
        QCOMPARE(b->members.keys().filter(QStringLiteral("exports/")),
                 QStringList{QStringLiteral("exports/triton-cache/ABC/rmsnorm_kernel.autotune.json")});
    }

    void manifestThatDisagreesWithItsDataIsRefused_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("message");
        QTest::newRow("best_ms") << "best_ms" << "manifest.json.entries[0].best_ms: the manifest says 9.9999999999999995e-07 but sessions/1.json gives";
        QTest::newRow("kernel") << "kernel" << "manifest.json.entries[0].kernel: the manifest says 'triton_matmul_fp16' but sessions/1.json gives 'triton_rmsnorm_fp16_rows16_N4096'";
        QTest::newRow("evaluations") << "evaluations" << "manifest.json.entries[0].evaluations: the manifest says 600 but sessions/1.json gives 6 trials";
        QTest::newRow("best_config") << "best_config" << "manifest.json.entries[0].best_config: the manifest says {\"BLOCK\":1}";
        QTest::newRow("key") << "key" << "manifest.json.entries[0].key: the manifest says 17 but sessions/1.json gives 16";
        QTest::newRow("gpu") << "gpu" << "manifest.json.entries[0].gpu: the manifest says 'NVIDIA B200'";
    }

    void manifestThatDisagreesWithItsDataIsRefused()
    {
        QFETCH(QString, field);
        QFETCH(QString, message);
        Bundle forged = m_good;
        BundleEntry& e = forged.manifest.entries[0];
        if (field == QLatin1String("best_ms"))
            e.bestMs = 1e-6;
        else if (field == QLatin1String("kernel"))
            e.kernel = QStringLiteral("triton_matmul_fp16");
        else if (field == QLatin1String("evaluations"))
            e.evaluations = 600;
        else if (field == QLatin1String("best_config"))
            e.bestConfig = QJsonObject{{QStringLiteral("BLOCK"), 1}};
        else if (field == QLatin1String("key"))
            e.key = 17;
        else
            e.gpu = QStringLiteral("NVIDIA B200");
        forged.seal(); // checksums right: only the summary lies
        auto read = Bundle::fromArchive(forged.toArchive().value(), QStringLiteral("forged.tar.gz"));
        QVERIFY(!read);
        QVERIFY2(read.error().startsWith(QStringLiteral("forged.tar.gz: ") + message), qPrintable(read.error()));
        QVERIFY2(read.error().endsWith(QLatin1String("the data wins, so the bundle is refused")), qPrintable(read.error()));
        // merge() believes no summary either: a forged 1e-6 ms cannot win against a real time.
        QStringList report;
        auto merged = Bundle::merge(m_good, QStringLiteral("real.tar.gz"), forged, QStringLiteral("forged.tar.gz"), report);
        QVERIFY(!merged);
        QVERIFY2(merged.error().startsWith(QStringLiteral("forged.tar.gz: ") + message), qPrintable(merged.error()));
    }

    void trialTimesMustBePositive_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("negative objective") << "objective_ms" << "-1" << ".objective_ms: an ok trial needs a finite time > 0, got -1";
        QTest::newRow("zero objective") << "objective_ms" << "0" << ".objective_ms: an ok trial needs a finite time > 0, got 0";
        QTest::newRow("negative sample") << "samples_ms" << "[0.5, -0.5]" << ".samples_ms[1]: -0.5 is not a time > 0";
        QTest::newRow("negative round") << "remeasured_ms" << "[-2]" << ".remeasured_ms[0]: -2 is not a time > 0";
        QTest::newRow("negative compile time") << "compile_ms" << "-5" << ".compile_ms: -5 is not a duration >= 0";
    }

    void trialTimesMustBePositive()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, message);
        // The first ok trial of session 1, rewritten; manifest and checksums resealed.
        Bundle forged = m_good;
        QByteArray& session = forged.members[QStringLiteral("sessions/1.json")];
        QJsonObject root = QJsonDocument::fromJson(session).object();
        QJsonArray trials = root.value(QLatin1String("trials")).toArray();
        int index = 0;
        while (trials[index].toObject().value(QLatin1String("status")).toString() != QLatin1String("ok"))
            ++index;
        QJsonObject t = trials[index].toObject();
        t.insert(field, QJsonDocument::fromJson("[" + value.toUtf8() + "]").array().at(0));
        trials[index] = t;
        root.insert(QStringLiteral("trials"), trials);
        session = QJsonDocument(root).toJson();
        forged.seal();
        auto read = Bundle::fromArchive(forged.toArchive().value(), QStringLiteral("forged.tar.gz"));
        QVERIFY(!read);
        QVERIFY2(read.error().startsWith(QStringLiteral("forged.tar.gz: sessions/1.json: trials[%1]").arg(index) + message), qPrintable(read.error()));
        // Nothing of it reaches a store either.
        QTemporaryDir target;
        auto store = openStore(target.filePath(QStringLiteral("s.db")));
        QVERIFY(!forged.importInto(*store, {}, false));
        QCOMPARE(store->sessions()->size(), 0);
    }

    void fifoIsNoBundle()
    {
        QTemporaryDir dir;
        const QString fifo = dir.filePath(QStringLiteral("bundle.tar.gz"));
        QCOMPARE(QProcess::execute(QStringLiteral("mkfifo"), {fifo}), 0);
        auto b = Bundle::read(fifo);
        QVERIFY(!b);
        QCOMPARE(b.error(), fifo + QStringLiteral(": not a regular file"));
    }
};

QTEST_GUILESS_MAIN(TestBundle)
#include "tst_bundle.moc"
