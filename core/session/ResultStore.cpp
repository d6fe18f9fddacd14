#include "session/ResultStore.h"

#include "session/BestTrial.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSet>
#include <QSqlQuery>
#include <QVariant>

#include <cmath>
#include <utility>

namespace dv {

namespace {

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
    "(SELECT MIN(objective_ms) FROM trials t WHERE t.session_id = s.id AND t.status = 'ok'), "
    "s.flush_l2, s.cuda_graph, s.remeasure_top, s.remeasure_rounds, "
    "(SELECT COUNT(*) FROM remeasurements r WHERE r.session_id = s.id), s.strategy_state";
constexpr int kRemeasurementCountColumn = 25;
constexpr int kStrategyStateColumn = 26;

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
    r.timing.flushL2 = q.value(21).toInt() != 0;
    r.timing.cudaGraph = q.value(22).toInt() != 0;
    r.remeasureTop = q.value(23).toInt();
    r.remeasureRounds = q.value(24).toInt();
    r.strategyState = toObject(q.value(kStrategyStateColumn));
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

Result<qint64> ResultStore::createSession(const SessionRecord& r)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "INSERT INTO sessions(state, device_id, device_name, backend, toolchain, device_details, kernel, problem,"
        " space, strategy, strategy_options, seed, budget_evaluations, budget_seconds, budget_stall, elapsed_ms, created_at,"
        " updated_at, flush_l2, cuda_graph, remeasure_top, remeasure_rounds) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    const QString now = timeText(QDateTime::currentDateTimeUtc());
    for (const QVariant& v : {QVariant(r.state.isEmpty() ? sessionStateName(SessionState::Running) : r.state), QVariant(r.device.id),
                              QVariant(r.device.name), QVariant(r.device.backend), QVariant(r.device.toolchain),
                              QVariant(toText(r.device.details)), QVariant(r.kernel), QVariant(r.problem),
                              QVariant(toText(r.space)), QVariant(r.strategy), QVariant(toText(r.strategyOptions)),
                              QVariant(qint64(r.seed)), QVariant(r.budgetEvaluations), QVariant(r.budgetSeconds),
                              QVariant(r.budgetStall), QVariant(r.elapsedMs), QVariant(now), QVariant(now),
                              QVariant(r.timing.flushL2 ? 1 : 0), QVariant(r.timing.cudaGraph ? 1 : 0),
                              QVariant(r.remeasureTop), QVariant(r.remeasureRounds)})
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
    SessionRecord r = sessionFrom(q);
    const int remeasured = q.value(kRemeasurementCountColumn).toInt();
    q.finish();
    if (auto applied = applyRemeasuredBest(r, remeasured); !applied)
        return Error{applied.error()};
    return r;
}

Result<void> ResultStore::applyRemeasuredBest(SessionRecord& record, int remeasurements)
{
    if (remeasurements == 0)
        return {};
    auto all = trials(record.id);
    if (!all)
        return Error{all.error()};
    if (const auto best = BestTrial::of(all.value()))
        record.bestMs = BestTrial::rankingMs(*best);
    return {};
}

Result<QVector<SessionRecord>> ResultStore::sessions()
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(QStringLiteral("SELECT %1 FROM sessions s ORDER BY s.id DESC").arg(QLatin1String(kSessionColumns))))
        return sqlError(QStringLiteral("listing sessions"), q.lastError());
    QVector<SessionRecord> out;
    QVector<int> remeasured;
    while (q.next()) {
        out.append(sessionFrom(q));
        remeasured.append(q.value(kRemeasurementCountColumn).toInt());
    }
    q.finish();
    for (int i = 0; i < out.size(); ++i) {
        if (auto applied = applyRemeasuredBest(out[i], remeasured[i]); !applied)
            return Error{applied.error()};
    }
    return out;
}

Result<void> ResultStore::setSessionState(qint64 id, SessionState state)
{
    return setSessionState(id, sessionStateName(state));
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

Result<ResultStore::Transaction> ResultStore::transaction()
{
    if (m_inTransaction)
        return Error{QStringLiteral("result store: a transaction is already open")};
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    if (!db.transaction())
        return sqlError(QStringLiteral("starting a transaction"), db.lastError());
    m_inTransaction = true;
    return Transaction(this);
}

ResultStore::Transaction::Transaction(Transaction&& other) noexcept
    : m_store(std::exchange(other.m_store, nullptr))
{
}

ResultStore::Transaction::~Transaction()
{
    if (!m_store)
        return;
    QSqlDatabase::database(m_store->m_connection).rollback();
    m_store->m_inTransaction = false;
}

Result<void> ResultStore::Transaction::commit()
{
    if (!m_store)
        return Error{QStringLiteral("result store: the transaction has ended")};
    ResultStore* store = std::exchange(m_store, nullptr);
    QSqlDatabase db = QSqlDatabase::database(store->m_connection);
    const bool committed = db.commit();
    const QSqlError e = db.lastError();
    if (!committed)
        db.rollback();
    store->m_inTransaction = false;
    if (!committed)
        return sqlError(QStringLiteral("committing"), e);
    return {};
}

Result<void> ResultStore::appendTrial(const Trial& t, double sessionElapsedMs, const QJsonObject& strategyState)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    // Inside an open Transaction the trial joins it; a failed statement leaves the rollback to it.
    const bool own = !m_inTransaction;
    if (own && !db.transaction())
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
        if (own)
            db.rollback();
        return sqlError(QStringLiteral("storing trial %1 of session %2").arg(t.sequence).arg(t.sessionId), e);
    }
    QSqlQuery u(db);
    u.prepare(QStringLiteral("UPDATE sessions SET elapsed_ms = ?, updated_at = ?, strategy_state = ? WHERE id = ?"));
    u.addBindValue(sessionElapsedMs);
    u.addBindValue(timeText(t.finishedAt));
    u.addBindValue(strategyState.isEmpty() ? QVariant() : QVariant(toText(strategyState)));
    u.addBindValue(t.sessionId);
    if (!u.exec()) {
        const QSqlError e = u.lastError();
        if (own)
            db.rollback();
        return sqlError(QStringLiteral("updating session %1").arg(t.sessionId), e);
    }
    if (own && !db.commit())
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
        // A store can come from elsewhere too: an ok time that is not positive would be the best.
        if (t.measurement.status == Status::Ok && !(std::isfinite(t.measurement.objectiveMs) && t.measurement.objectiveMs > 0))
            return Error{QStringLiteral("%1: session %2, trial %3: objective_ms %4 is not a time > 0 for an ok trial")
                             .arg(m_path).arg(sessionId).arg(t.sequence).arg(t.measurement.objectiveMs)};
        for (double sample : t.measurement.samplesMs)
            if (t.measurement.status == Status::Ok && !(std::isfinite(sample) && sample > 0))
                return Error{QStringLiteral("%1: session %2, trial %3: samples holds %4, not a time > 0")
                                 .arg(m_path).arg(sessionId).arg(t.sequence).arg(sample)};
        t.startedAt = timeFrom(q.value(10));
        t.finishedAt = timeFrom(q.value(11));
        t.fromStore = q.value(12).toInt() != 0;
        out.append(t);
    }
    q.finish();

    // The rounds of the latest re-measurement, per configuration; one failed round disqualifies it.
    auto pass = lastRemeasurePass(sessionId);
    if (!pass)
        return Error{pass.error()};
    if (pass.value() == 0)
        return out;
    auto rows = remeasurements(sessionId);
    if (!rows)
        return Error{rows.error()};
    QHash<QString, QVector<double>> rounds;
    QSet<QString> failed;
    for (const Remeasurement& r : rows.value()) {
        if (r.pass != pass.value())
            continue;
        if (r.measurement.status == Status::Ok && !(r.measurement.objectiveMs > 0 && std::isfinite(r.measurement.objectiveMs)))
            return Error{QStringLiteral("%1: session %2, re-measurement round %3 position %4: objective_ms %5 is not a time > 0")
                             .arg(m_path).arg(sessionId).arg(r.round).arg(r.position).arg(r.measurement.objectiveMs)};
        if (r.measurement.isOk())
            rounds[r.configKey].append(r.measurement.objectiveMs);
        else
            failed.insert(r.configKey);
    }
    for (Trial& t : out) {
        if (!failed.contains(t.configKey))
            t.remeasuredMs = rounds.value(t.configKey);
    }
    return out;
}

Result<void> ResultStore::appendRemeasurement(const Remeasurement& r)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "INSERT INTO remeasurements(session_id, pass, round, position, config_key, config, status, objective_ms, samples,"
        " compile_ms, error, extra, measured_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    const Measurement& m = r.measurement;
    for (const QVariant& v : {QVariant(r.sessionId), QVariant(r.pass), QVariant(r.round), QVariant(r.position),
                              QVariant(r.configKey), QVariant(toText(r.config)), QVariant(statusName(m.status)),
                              number(m.status == Status::Ok ? m.objectiveMs : std::nan("")),
                              QVariant(samplesText(m.samplesMs)), number(m.compileTimeMs), QVariant(m.error),
                              QVariant(toText(m.extra)), QVariant(timeText(r.measuredAt))})
        q.addBindValue(v);
    // A single statement outside a transaction is its own transaction (committed with synchronous=FULL).
    if (!q.exec())
        return sqlError(QStringLiteral("storing re-measurement round %1 position %2 of session %3")
                            .arg(r.round).arg(r.position).arg(r.sessionId), q.lastError());
    return {};
}

Result<QVector<Remeasurement>> ResultStore::remeasurements(qint64 sessionId)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral(
        "SELECT status, objective_ms, samples, compile_ms, error, extra, pass, round, position, config_key, config,"
        " measured_at FROM remeasurements WHERE session_id = ? ORDER BY id"));
    q.addBindValue(sessionId);
    if (!q.exec())
        return sqlError(QStringLiteral("reading the re-measurements of session %1").arg(sessionId), q.lastError());
    QVector<Remeasurement> out;
    while (q.next()) {
        Remeasurement r;
        r.sessionId = sessionId;
        r.measurement = measurementFrom(q, 0);
        r.pass = q.value(6).toInt();
        r.round = q.value(7).toInt();
        r.position = q.value(8).toInt();
        r.configKey = q.value(9).toString();
        r.config = toObject(q.value(10));
        r.measuredAt = timeFrom(q.value(11));
        out.append(r);
    }
    return out;
}

Result<int> ResultStore::lastRemeasurePass(qint64 sessionId)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("SELECT COALESCE(MAX(pass), 0) FROM remeasurements WHERE session_id = ?"));
    q.addBindValue(sessionId);
    if (!q.exec() || !q.next())
        return sqlError(QStringLiteral("reading the re-measurements of session %1").arg(sessionId), q.lastError());
    return q.value(0).toInt();
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
