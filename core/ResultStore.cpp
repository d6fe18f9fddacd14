#include "ResultStore.h"

#include <QAtomicInteger>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <cmath>

namespace dv {

namespace {

constexpr int kSchemaVersion = 1;

QString toText(const QJsonObject& o) { return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)); }
QJsonObject toObject(const QVariant& v) { return QJsonDocument::fromJson(v.toString().toUtf8()).object(); }

QString samplesText(const QVector<double>& samples)
{
    QJsonArray a;
    for (double s : samples)
        a.append(s);
    return QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact));
}

QVector<double> samplesFrom(const QVariant& v)
{
    QVector<double> out;
    for (const QJsonValue& s : QJsonDocument::fromJson(v.toString().toUtf8()).array())
        out.append(s.toDouble());
    return out;
}

QVariant number(double x) { return std::isfinite(x) ? QVariant(x) : QVariant(QMetaType::fromType<double>()); }
double numberFrom(const QVariant& v) { return v.isNull() ? std::nan("") : v.toDouble(); }
QString timeText(const QDateTime& t) { return t.toUTC().toString(Qt::ISODateWithMs); }
QDateTime timeFrom(const QVariant& v) { return QDateTime::fromString(v.toString(), Qt::ISODateWithMs); }

Error sqlError(const QString& what, const QSqlError& e)
{
    return Error{QStringLiteral("result store: %1: %2").arg(what, e.text())};
}

const char* kSessionColumns =
    "s.id, s.state, s.device_id, s.device_name, s.backend, s.toolchain, s.device_details, s.kernel, "
    "s.problem, s.space, s.strategy, s.strategy_options, s.seed, s.budget_evaluations, s.budget_seconds, "
    "s.elapsed_ms, s.created_at, s.updated_at, s.budget_stall, "
    "(SELECT COUNT(*) FROM trials t WHERE t.session_id = s.id), "
    "(SELECT MIN(objective_ms) FROM trials t WHERE t.session_id = s.id AND t.status = 'ok')";

SessionRecord sessionFrom(const QSqlQuery& q)
{
    SessionRecord r;
    r.id = q.value(0).toLongLong();
    r.state = q.value(1).toString();
    r.device.id = q.value(2).toString();
    r.device.name = q.value(3).toString();
    r.device.backend = q.value(4).toString();
    r.device.toolchain = q.value(5).toString();
    r.device.details = toObject(q.value(6));
    r.kernel = q.value(7).toString();
    r.problem = q.value(8).toString();
    r.space = toObject(q.value(9));
    r.strategy = q.value(10).toString();
    r.strategyOptions = toObject(q.value(11));
    r.seed = q.value(12).toULongLong();
    r.budgetEvaluations = q.value(13).toInt();
    r.budgetSeconds = q.value(14).toDouble();
    r.elapsedMs = q.value(15).toDouble();
    r.createdAt = timeFrom(q.value(16));
    r.updatedAt = timeFrom(q.value(17));
    r.budgetStall = q.value(18).toInt();
    r.trialCount = q.value(19).toInt();
    if (!q.value(20).isNull())
        r.bestMs = q.value(20).toDouble();
    return r;
}

Measurement measurementFrom(const QSqlQuery& q, int first)
{
    Measurement m;
    m.status = statusFromName(q.value(first).toString()).value_or(Status::Invalid);
    m.objectiveMs = numberFrom(q.value(first + 1));
    m.samplesMs = samplesFrom(q.value(first + 2));
    m.compileTimeMs = numberFrom(q.value(first + 3));
    m.error = q.value(first + 4).toString();
    m.extra = toObject(q.value(first + 5));
    return m;
}

} // namespace

ResultStore::ResultStore(QString path, QString connection)
    : m_path(std::move(path))
    , m_connection(std::move(connection))
{
}

ResultStore::~ResultStore()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

Result<std::unique_ptr<ResultStore>> ResultStore::open(const QString& path)
{
    static QAtomicInteger<quint64> counter;
    const QString connection = QStringLiteral("dejavu-store-%1").arg(counter.fetchAndAddRelaxed(1));
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")))
        return Error{QStringLiteral("result store: the Qt SQLite driver (QSQLITE) is not installed")};
    std::unique_ptr<ResultStore> store(new ResultStore(path, connection));
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        return Error{QStringLiteral("%1: cannot open the result store: %2").arg(path, db.lastError().text())};
    auto migrated = store->migrate();
    if (!migrated)
        return Error{QStringLiteral("%1: %2").arg(path, migrated.error())};
    return store;
}

Result<void> ResultStore::migrate()
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    // A file that is not SQLite fails on the first statement; say so rather than "file is not a database".
    // Nothing is written before the schema version is known, so a newer store is refused untouched.
    if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'")) || !q.next())
        return sqlError(QStringLiteral("not a usable SQLite database"), q.lastError());
    if (q.value(0).toInt() > 0) {
        if (!q.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'")))
            return sqlError(QStringLiteral("reading the schema version"), q.lastError());
        if (q.next() && q.value(0).toInt() > kSchemaVersion)
            return Error{QStringLiteral("the result store was written by a newer version (schema %1; this program reads %2)")
                             .arg(q.value(0).toInt()).arg(kSchemaVersion)};
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
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS trials("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
        " seq INTEGER NOT NULL, space_index INTEGER NOT NULL, config_key TEXT NOT NULL, config TEXT NOT NULL,"
        " status TEXT NOT NULL, objective_ms REAL, samples TEXT, compile_ms REAL, error TEXT, extra TEXT,"
        " started_at TEXT NOT NULL, finished_at TEXT NOT NULL, from_store INTEGER NOT NULL,"
        " UNIQUE(session_id, seq), UNIQUE(session_id, config_key))",
        "CREATE INDEX IF NOT EXISTS trials_by_key ON trials(config_key)",
        "CREATE INDEX IF NOT EXISTS sessions_by_identity ON sessions(kernel, problem, device_name, toolchain)",
    };
    for (const char* s : statements) {
        if (!q.exec(QString::fromLatin1(s)))
            return sqlError(QStringLiteral("creating the schema"), q.lastError());
    }
    // Stores written before the stall budget existed get the column (schema 1 grew it in place).
    if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = 'budget_stall'")))
        return sqlError(QStringLiteral("reading the schema"), q.lastError());
    if (q.next() && q.value(0).toInt() == 0
        && !q.exec(QStringLiteral("ALTER TABLE sessions ADD COLUMN budget_stall INTEGER NOT NULL DEFAULT 0")))
        return sqlError(QStringLiteral("upgrading the schema"), q.lastError());
    if (!q.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'")))
        return sqlError(QStringLiteral("reading the schema version"), q.lastError());
    if (q.next()) {
        if (q.value(0).toInt() > kSchemaVersion)
            return Error{QStringLiteral("the result store was written by a newer version (schema %1; this program reads %2)")
                             .arg(q.value(0).toInt()).arg(kSchemaVersion)};
    } else {
        q.prepare(QStringLiteral("INSERT INTO meta(key, value) VALUES('schema_version', ?)"));
        q.addBindValue(QString::number(kSchemaVersion));
        if (!q.exec())
            return sqlError(QStringLiteral("writing the schema version"), q.lastError());
    }
    return {};
}

Result<qint64> ResultStore::createSession(const SessionRecord& r)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "INSERT INTO sessions(state, device_id, device_name, backend, toolchain, device_details, kernel, problem,"
        " space, strategy, strategy_options, seed, budget_evaluations, budget_seconds, budget_stall, elapsed_ms, created_at,"
        " updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    const QString now = timeText(QDateTime::currentDateTimeUtc());
    for (const QVariant& v : {QVariant(r.state.isEmpty() ? QStringLiteral("running") : r.state), QVariant(r.device.id),
                              QVariant(r.device.name), QVariant(r.device.backend), QVariant(r.device.toolchain),
                              QVariant(toText(r.device.details)), QVariant(r.kernel), QVariant(r.problem),
                              QVariant(toText(r.space)), QVariant(r.strategy), QVariant(toText(r.strategyOptions)),
                              QVariant(qint64(r.seed)), QVariant(r.budgetEvaluations), QVariant(r.budgetSeconds),
                              QVariant(r.budgetStall), QVariant(r.elapsedMs), QVariant(now), QVariant(now)})
        q.addBindValue(v);
    if (!q.exec())
        return sqlError(QStringLiteral("creating a session"), q.lastError());
    return q.lastInsertId().toLongLong();
}

Result<SessionRecord> ResultStore::session(qint64 id)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("SELECT %1 FROM sessions s WHERE s.id = ?").arg(QLatin1String(kSessionColumns)));
    q.addBindValue(id);
    if (!q.exec())
        return sqlError(QStringLiteral("reading session %1").arg(id), q.lastError());
    if (!q.next())
        return Error{QStringLiteral("%1: no session %2 in this result store").arg(m_path).arg(id)};
    return sessionFrom(q);
}

Result<QVector<SessionRecord>> ResultStore::sessions()
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(QStringLiteral("SELECT %1 FROM sessions s ORDER BY s.id DESC").arg(QLatin1String(kSessionColumns))))
        return sqlError(QStringLiteral("listing sessions"), q.lastError());
    QVector<SessionRecord> out;
    while (q.next())
        out.append(sessionFrom(q));
    return out;
}

Result<void> ResultStore::setSessionState(qint64 id, const QString& state)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("UPDATE sessions SET state = ?, updated_at = ? WHERE id = ?"));
    q.addBindValue(state);
    q.addBindValue(timeText(QDateTime::currentDateTimeUtc()));
    q.addBindValue(id);
    if (!q.exec())
        return sqlError(QStringLiteral("updating session %1").arg(id), q.lastError());
    return {};
}

Result<void> ResultStore::setSessionBudget(qint64 id, int evaluations, double seconds)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("UPDATE sessions SET budget_evaluations = ?, budget_seconds = ? WHERE id = ?"));
    q.addBindValue(evaluations);
    q.addBindValue(seconds);
    q.addBindValue(id);
    if (!q.exec())
        return sqlError(QStringLiteral("updating session %1").arg(id), q.lastError());
    return {};
}

Result<void> ResultStore::appendTrial(const Trial& t, double sessionElapsedMs)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    if (!db.transaction())
        return sqlError(QStringLiteral("starting a transaction"), db.lastError());
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "INSERT INTO trials(session_id, seq, space_index, config_key, config, status, objective_ms, samples,"
        " compile_ms, error, extra, started_at, finished_at, from_store) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    const Measurement& m = t.measurement;
    for (const QVariant& v : {QVariant(t.sessionId), QVariant(t.sequence), QVariant(t.spaceIndex), QVariant(t.configKey),
                              QVariant(toText(t.config)), QVariant(statusName(m.status)),
                              number(m.status == Status::Ok ? m.objectiveMs : std::nan("")),
                              QVariant(samplesText(m.samplesMs)), number(m.compileTimeMs), QVariant(m.error),
                              QVariant(toText(m.extra)), QVariant(timeText(t.startedAt)),
                              QVariant(timeText(t.finishedAt)), QVariant(t.fromStore ? 1 : 0)})
        q.addBindValue(v);
    if (!q.exec()) {
        const QSqlError e = q.lastError();
        db.rollback();
        return sqlError(QStringLiteral("storing trial %1 of session %2").arg(t.sequence).arg(t.sessionId), e);
    }
    QSqlQuery u(db);
    u.prepare(QStringLiteral("UPDATE sessions SET elapsed_ms = ?, updated_at = ? WHERE id = ?"));
    u.addBindValue(sessionElapsedMs);
    u.addBindValue(timeText(t.finishedAt));
    u.addBindValue(t.sessionId);
    if (!u.exec()) {
        const QSqlError e = u.lastError();
        db.rollback();
        return sqlError(QStringLiteral("updating session %1").arg(t.sessionId), e);
    }
    if (!db.commit())
        return sqlError(QStringLiteral("committing trial %1").arg(t.sequence), db.lastError());
    return {};
}

Result<QVector<Trial>> ResultStore::trials(qint64 sessionId)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral(
        "SELECT seq, space_index, config_key, config, status, objective_ms, samples, compile_ms, error, extra,"
        " started_at, finished_at, from_store FROM trials WHERE session_id = ? ORDER BY seq"));
    q.addBindValue(sessionId);
    if (!q.exec())
        return sqlError(QStringLiteral("reading the trials of session %1").arg(sessionId), q.lastError());
    QVector<Trial> out;
    while (q.next()) {
        Trial t;
        t.sessionId = sessionId;
        t.sequence = q.value(0).toInt();
        t.spaceIndex = q.value(1).toLongLong();
        t.configKey = q.value(2).toString();
        t.config = toObject(q.value(3));
        t.measurement = measurementFrom(q, 4);
        t.startedAt = timeFrom(q.value(10));
        t.finishedAt = timeFrom(q.value(11));
        t.fromStore = q.value(12).toInt() != 0;
        out.append(t);
    }
    return out;
}

Result<QHash<QString, Measurement>> ResultStore::knownMeasurements(const QString& kernel, const QString& problem,
                                                                   const DeviceInfo& device)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral(
        "SELECT t.config_key, t.status, t.objective_ms, t.samples, t.compile_ms, t.error, t.extra"
        " FROM trials t JOIN sessions s ON s.id = t.session_id"
        " WHERE t.from_store = 0 AND s.kernel = ? AND s.problem = ? AND s.device_name = ? AND s.toolchain = ?"
        " ORDER BY t.id"));
    q.addBindValue(kernel);
    q.addBindValue(problem);
    q.addBindValue(device.name);
    q.addBindValue(device.toolchain);
    if (!q.exec())
        return sqlError(QStringLiteral("looking up earlier measurements"), q.lastError());
    QHash<QString, Measurement> out;
    while (q.next()) {
        const QString key = q.value(0).toString();
        if (!out.contains(key))
            out.insert(key, measurementFrom(q, 1));
    }
    return out;
}

} // namespace dv
