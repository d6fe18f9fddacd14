// Opening a result store (ResultStore.h): what kind of file it is, its schema version and the
// upgrade of older stores. Nothing is written before the file is known to be a store of a
// version this program reads.
#include "ResultStore.h"

#include "JsonUtil.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QVariant>

#include <iterator>
#include <optional>

namespace dv {

namespace {

// 1: sessions and trials. 2: timing options and re-measurement settings of a session, and the
// remeasurements table. 3: the strategy's saved state. Older stores are upgraded in place.
constexpr int kSchemaVersion = 3;

Error sqlError(const QString& what, const QSqlError& e)
{
    return Error{QStringLiteral("result store: %1: %2").arg(what, e.text())};
}

} // namespace

bool ResultStore::isWritable(const QString& path)
{
    const QFileInfo file(path);
    return file.isWritable() && QFileInfo(file.absolutePath()).isWritable();
}

Result<std::unique_ptr<ResultStore>> ResultStore::openForReading(const QString& path)
{
    // Reading never creates: a mistyped path must not leave an empty store behind.
    if (!QFileInfo::exists(path))
        return Error{QStringLiteral("%1: no such result database").arg(path)};
    return open(path, isWritable(path) ? Access::ReadWrite : Access::ReadOnly);
}

Result<std::unique_ptr<ResultStore>> ResultStore::open(const QString& path, Access access)
{
    static QAtomicInteger<quint64> counter;
    const QString connection = QStringLiteral("dejavu-store-%1").arg(counter.fetchAndAddRelaxed(1));
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")))
        return Error{QStringLiteral("result store: the Qt SQLite driver (QSQLITE) is not installed")};
    const bool memory = path == QLatin1String(":memory:");
    const QFileInfo info(path);
    // A FIFO would block, a device would be written through, a directory cannot hold it.
    if (!memory && info.exists() && !info.isFile())
        return Error{QStringLiteral("%1: not a regular file (a directory, FIFO, socket or device); a result store is a file").arg(path)};
    if (access == Access::ReadOnly && (memory || !info.exists()))
        return Error{QStringLiteral("%1: no such result database").arg(path)};
    std::unique_ptr<ResultStore> store(new ResultStore(path, connection));
    store->m_readOnly = access == Access::ReadOnly;
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
    QString options = QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000");
    if (access == Access::ReadOnly) {
        options += QStringLiteral(";QSQLITE_OPEN_READONLY");
        // A non-empty write-ahead log holds committed data the main file lacks: SQLite reads it
        // (it needs the -shm file). Without one the file is all there is, and immutable tells
        // SQLite not to create or lock anything next to it (a read-only mount allows neither).
        const QFileInfo wal(path + QStringLiteral("-wal"));
        if (wal.exists() && wal.size() > 0) {
            db.setDatabaseName(path);
        } else {
            db.setDatabaseName(QUrl::fromLocalFile(info.absoluteFilePath()).toString(QUrl::FullyEncoded)
                               + QStringLiteral("?mode=ro&immutable=1"));
            options += QStringLiteral(";QSQLITE_OPEN_URI");
        }
    } else {
        db.setDatabaseName(path);
    }
    db.setConnectOptions(options);
    if (!db.open())
        return Error{QStringLiteral("%1: cannot open the result store: %2").arg(path, db.lastError().text())};
    auto migrated = store->migrate(access);
    if (!migrated)
        return Error{QStringLiteral("%1: %2").arg(path, migrated.error())};
    return store;
}

Result<void> ResultStore::migrate(Access access)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    // What the file holds decides before anything is written: a file that is not SQLite fails
    // on the first statement; one of another program, or of a version this program does not
    // know, is refused untouched.
    if (!q.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")))
        return sqlError(QStringLiteral("not a usable SQLite database"), q.lastError());
    QStringList tables;
    while (q.next())
        tables.append(q.value(0).toString());
    q.finish();
    int version = 0;
    if (!tables.isEmpty()) {
        std::optional<QString> text;
        if (tables.contains(QLatin1String("meta"))) {
            if (!q.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'")))
                return sqlError(QStringLiteral("reading the schema version"), q.lastError());
            if (q.next())
                text = q.value(0).toString();
            q.finish();
        }
        if (!text) {
            const QString names = clip(tables.mid(0, 5).join(QStringLiteral(", ")) + (tables.size() > 5 ? QStringLiteral(", ...") : QString()));
            return Error{QStringLiteral("a SQLite database of another program (tables %1, no schema_version in a meta table), not a Deja Vu "
                                        "result store; left untouched").arg(names)};
        }
        bool ok = false;
        version = text->trimmed().toInt(&ok);
        if (!ok || version < 1)
            return Error{QStringLiteral("meta.schema_version '%1' is not a schema version (1 to %2); the store is left untouched")
                             .arg(clip(*text)).arg(kSchemaVersion)};
        if (version > kSchemaVersion)
            return Error{QStringLiteral("the result store was written by a newer version (schema %1; this program reads %2)")
                             .arg(version).arg(kSchemaVersion)};
    }
    if (access == Access::ReadOnly) {
        if (tables.isEmpty())
            return Error{QStringLiteral("holds no result store (an empty database)")};
        if (version < kSchemaVersion)
            return Error{QStringLiteral("schema %1 needs an upgrade to %2, which a read-only store cannot take; open it once where it "
                                        "can be written").arg(version).arg(kSchemaVersion)};
        return {};
    }
    if (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL")))
        return sqlError(QStringLiteral("not a usable SQLite database"), q.lastError());
    const char* statements[] = {
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS sessions("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, state TEXT NOT NULL,"
        " device_id TEXT NOT NULL, device_name TEXT NOT NULL, backend TEXT NOT NULL, toolchain TEXT NOT NULL,"
        " device_details TEXT, kernel TEXT NOT NULL, problem TEXT NOT NULL, space TEXT NOT NULL,"
        " strategy TEXT NOT NULL, strategy_options TEXT, seed INTEGER NOT NULL,"
        " budget_evaluations INTEGER NOT NULL, budget_seconds REAL NOT NULL, budget_stall INTEGER NOT NULL DEFAULT 0,"
        " elapsed_ms REAL NOT NULL,"
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
        " flush_l2 INTEGER NOT NULL DEFAULT 1, cuda_graph INTEGER NOT NULL DEFAULT 0,"
        " remeasure_top INTEGER NOT NULL DEFAULT 0, remeasure_rounds INTEGER NOT NULL DEFAULT 0,"
        " strategy_state TEXT)",
        "CREATE TABLE IF NOT EXISTS trials("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
        " seq INTEGER NOT NULL, space_index INTEGER NOT NULL, config_key TEXT NOT NULL, config TEXT NOT NULL,"
        " status TEXT NOT NULL, objective_ms REAL, samples TEXT, compile_ms REAL, error TEXT, extra TEXT,"
        " started_at TEXT NOT NULL, finished_at TEXT NOT NULL, from_store INTEGER NOT NULL,"
        " UNIQUE(session_id, seq), UNIQUE(session_id, config_key))",
        "CREATE INDEX IF NOT EXISTS trials_by_key ON trials(config_key)",
        "CREATE TABLE IF NOT EXISTS remeasurements("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
        " pass INTEGER NOT NULL, round INTEGER NOT NULL, position INTEGER NOT NULL,"
        " config_key TEXT NOT NULL, config TEXT NOT NULL,"
        " status TEXT NOT NULL, objective_ms REAL, samples TEXT, compile_ms REAL, error TEXT, extra TEXT,"
        " measured_at TEXT NOT NULL,"
        " UNIQUE(session_id, pass, round, position))",
        "CREATE INDEX IF NOT EXISTS sessions_by_identity ON sessions(kernel, problem, device_name, toolchain)",
    };
    // A new store gets its tables and its version in one transaction: a store with tables but no
    // version would be refused as another program's the next time.
    const bool fresh = tables.isEmpty();
    for (int i = 0; i < 2; ++i)
        if (!q.exec(QString::fromLatin1(statements[i])))
            return sqlError(QStringLiteral("creating the schema"), q.lastError());
    if (fresh && !db.transaction())
        return sqlError(QStringLiteral("creating the schema"), db.lastError());
    for (size_t i = 2; i < std::size(statements); ++i) {
        if (!q.exec(QString::fromLatin1(statements[i]))) {
            const QSqlError e = q.lastError();
            if (fresh)
                db.rollback();
            return sqlError(QStringLiteral("creating the schema"), e);
        }
    }
    if (fresh) {
        q.prepare(QStringLiteral("INSERT INTO meta(key, value) VALUES('schema_version', ?)"));
        q.addBindValue(QString::number(kSchemaVersion));
        if (!q.exec()) {
            const QSqlError e = q.lastError();
            db.rollback();
            return sqlError(QStringLiteral("writing the schema version"), e);
        }
        if (!db.commit())
            return sqlError(QStringLiteral("creating the schema"), db.lastError());
        return {};
    }
    if (version < kSchemaVersion)
        return upgradeFrom(version);
    return {};
}

Result<void> ResultStore::upgradeFrom(int version)
{
    // Version 1 (which also grew budget_stall in place) lacks the session's timing and
    // re-measurement columns, version 2 the strategy's saved state; the remeasurements table was
    // created above. Missing columns are added, whatever the version. One transaction: a store is
    // either still at its old version or wholly at the current one.
    const QString what = QStringLiteral("upgrading the schema from version %1").arg(version);
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    if (!db.transaction())
        return sqlError(what, db.lastError());
    QSqlQuery q(db);
    const char* columns[][2] = {{"budget_stall", "INTEGER NOT NULL DEFAULT 0"},
                                {"flush_l2", "INTEGER NOT NULL DEFAULT 1"},
                                {"cuda_graph", "INTEGER NOT NULL DEFAULT 0"},
                                {"remeasure_top", "INTEGER NOT NULL DEFAULT 0"},
                                {"remeasure_rounds", "INTEGER NOT NULL DEFAULT 0"},
                                {"strategy_state", "TEXT"}};
    for (const auto& column : columns) {
        const QString name = QString::fromLatin1(column[0]);
        if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = '%1'").arg(name)) || !q.next()) {
            const QSqlError e = q.lastError();
            db.rollback();
            return sqlError(QStringLiteral("reading the schema"), e);
        }
        const bool missing = q.value(0).toInt() == 0;
        q.finish();
        if (missing && !q.exec(QStringLiteral("ALTER TABLE sessions ADD COLUMN %1 %2").arg(name, QString::fromLatin1(column[1])))) {
            const QSqlError e = q.lastError();
            db.rollback();
            return sqlError(QStringLiteral("%1 (column %2)").arg(what, name), e);
        }
    }
    if (!q.exec(QStringLiteral("UPDATE meta SET value = '%1' WHERE key = 'schema_version'").arg(kSchemaVersion))) {
        const QSqlError e = q.lastError();
        db.rollback();
        return sqlError(QStringLiteral("writing the schema version"), e);
    }
    if (!db.commit())
        return sqlError(what, db.lastError());
    return {};
}

} // namespace dv
