// The JSON members of a bundle: manifest.json and sessions/<n>.json (Bundle.h), with schema
// checks whose errors name the member and field.
#include "export/Bundle.h"

#include "base/JsonUtil.h"
#include "export/TuningLadder.h"
#include "session/BestTrial.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <limits>

namespace dv {

namespace {

const QString kManifest = QStringLiteral("manifest.json");

QString isoTime(const QDateTime& t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QJsonValue number(double v)
{
    return std::isfinite(v) ? QJsonValue(v) : QJsonValue();
}

// Field readers for the schema checks; each error names the member and field.
struct Fields {
    const QJsonObject& o;
    QString where;
    QString error;
    QString str(const char* key)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (!v.isString() && error.isEmpty())
            error = QStringLiteral("%1.%2: expected a string, got %3").arg(where, QLatin1String(key), jsonText(v));
        return v.toString();
    }
    double num(const char* key, bool nullable = false)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (nullable && (v.isNull() || v.isUndefined()))
            return std::nan("");
        if (!v.isDouble() && error.isEmpty())
            error = QStringLiteral("%1.%2: expected a number, got %3").arg(where, QLatin1String(key), jsonText(v));
        return v.toDouble();
    }
    /// Checked against [lo, hi] before the conversion: 1e300 was undefined behaviour, and a sequence
    /// number of 2^32 + 1 became 1 in an int.
    qint64 integer(const char* key, qint64 lo = -(qint64(1) << 53), qint64 hi = qint64(1) << 53)
    {
        const double d = num(key);
        if (!error.isEmpty())
            return 0;
        if (std::floor(d) != d || d < double(lo) || d > double(hi)) {
            error = QStringLiteral("%1.%2: expected an integer from %3 to %4, got %5").arg(where, QLatin1String(key)).arg(lo).arg(hi)
                        .arg(jsonText(o.value(QLatin1String(key))));
            return 0;
        }
        return qint64(d);
    }
    int count(const char* key, int lo = 0) { return int(integer(key, lo, std::numeric_limits<int>::max())); }
    QJsonObject obj(const char* key)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (!v.isObject() && error.isEmpty())
            error = QStringLiteral("%1.%2: expected an object, got %3").arg(where, QLatin1String(key), jsonText(v));
        return v.toObject();
    }
    QJsonArray arr(const char* key)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (!v.isArray() && error.isEmpty())
            error = QStringLiteral("%1.%2: expected a list, got %3").arg(where, QLatin1String(key), jsonText(v));
        return v.toArray();
    }
};

} // namespace

QByteArray BundleManifest::toJson() const
{
    QJsonArray es;
    for (const BundleEntry& e : entries) {
        QJsonObject o{{QStringLiteral("gpu"), e.gpu},
                      {QStringLiteral("key"), e.key},
                      {QStringLiteral("problem"), e.problem},
                      {QStringLiteral("kernel"), e.kernel},
                      {QStringLiteral("strategy"), e.strategy},
                      {QStringLiteral("evaluations"), e.evaluations},
                      {QStringLiteral("best_ms"), e.bestMs},
                      {QStringLiteral("best_config"), e.bestConfig},
                      {QStringLiteral("toolchain"), e.toolchain},
                      {QStringLiteral("driver"), e.driver},
                      {QStringLiteral("session"), e.sessionMember}};
        if (!e.source.isEmpty())
            o.insert(QStringLiteral("source"), e.source);
        es.append(o);
    }
    QJsonArray ms;
    QStringList gpus;
    for (const BundleEntry& e : entries)
        if (!gpus.contains(e.gpu))
            gpus.append(e.gpu);
    for (const BundleMemberInfo& m : members)
        ms.append(QJsonObject{{QStringLiteral("path"), m.path}, {QStringLiteral("size"), m.size}, {QStringLiteral("sha256"), m.sha256}});
    const QJsonObject o{{QStringLiteral("format"), QStringLiteral("dejavu-bundle")},
                        {QStringLiteral("version"), kVersion},
                        {QStringLiteral("kernel"), kernel},
                        {QStringLiteral("key_position"), keyPosition},
                        {QStringLiteral("created_at"), createdAt},
                        {QStringLiteral("gpus"), QJsonArray::fromStringList(gpus)},
                        {QStringLiteral("entries"), es},
                        {QStringLiteral("members"), ms},
                        {QStringLiteral("content_sha256"), contentSha256}};
    return QJsonDocument(o).toJson(QJsonDocument::Indented);
}

Result<BundleManifest> BundleManifest::fromJson(const QByteArray& json)
{
    auto doc = parseJsonObject(json, kManifest);
    if (!doc)
        return Error{doc.error()};
    const QJsonObject& o = doc.value();
    Fields f{o, kManifest, {}};
    BundleManifest m;
    if (f.str("format") != QLatin1String("dejavu-bundle") && f.error.isEmpty())
        return Error{QStringLiteral("manifest.json.format: expected \"dejavu-bundle\"")};
    const qint64 version = f.integer("version");
    if (f.error.isEmpty() && version != kVersion)
        return Error{QStringLiteral("manifest.json.version: %1 is not supported (this program reads version %2)").arg(version).arg(kVersion)};
    m.kernel = f.str("kernel");
    m.keyPosition = f.count("key_position");
    m.createdAt = f.str("created_at");
    m.contentSha256 = f.str("content_sha256");
    const QJsonArray es = f.arr("entries");
    const QJsonArray ms = f.arr("members");
    if (!f.error.isEmpty())
        return Error{f.error};
    for (int i = 0; i < es.size(); ++i) {
        const QJsonObject eo = es[i].toObject();
        Fields g{eo, QStringLiteral("manifest.json.entries[%1]").arg(i), {}};
        BundleEntry e;
        e.gpu = g.str("gpu");
        e.key = g.integer("key");
        e.problem = g.str("problem");
        e.kernel = g.str("kernel");
        e.strategy = g.str("strategy");
        e.evaluations = g.count("evaluations");
        e.bestMs = g.num("best_ms");
        e.bestConfig = g.obj("best_config");
        e.toolchain = g.str("toolchain");
        e.driver = g.str("driver");
        e.sessionMember = g.str("session");
        e.source = eo.value(QLatin1String("source")).toString();
        if (!g.error.isEmpty())
            return Error{g.error};
        if (!std::isfinite(e.bestMs) || e.bestMs <= 0)
            return Error{QStringLiteral("%1.best_ms: expected a positive time").arg(g.where)};
        m.entries.append(e);
    }
    for (int i = 0; i < ms.size(); ++i) {
        const QJsonObject mo = ms[i].toObject();
        Fields g{mo, QStringLiteral("manifest.json.members[%1]").arg(i), {}};
        BundleMemberInfo info{g.str("path"), g.integer("size", 0), g.str("sha256")};
        if (!g.error.isEmpty())
            return Error{g.error};
        if (info.sha256.size() != 64)
            return Error{QStringLiteral("%1.sha256: expected 64 hex digits").arg(g.where)};
        m.members.append(info);
    }
    return m;
}

QByteArray Bundle::sessionJson(const SessionRecord& r, const QVector<Trial>& trials)
{
    QJsonArray ts;
    for (const Trial& t : trials) {
        const Measurement& m = t.measurement;
        QJsonArray samples, rounds;
        for (double s : m.samplesMs)
            samples.append(s);
        for (double s : t.remeasuredMs)
            rounds.append(s);
        ts.append(QJsonObject{{QStringLiteral("sequence"), t.sequence},
                              {QStringLiteral("space_index"), t.spaceIndex},
                              {QStringLiteral("config_key"), t.configKey},
                              {QStringLiteral("config"), t.config},
                              {QStringLiteral("status"), statusName(m.status)},
                              {QStringLiteral("objective_ms"), number(m.objectiveMs)},
                              {QStringLiteral("samples_ms"), samples},
                              {QStringLiteral("compile_ms"), number(m.compileTimeMs)},
                              {QStringLiteral("error"), m.error},
                              {QStringLiteral("extra"), m.extra},
                              {QStringLiteral("started_at"), isoTime(t.startedAt)},
                              {QStringLiteral("finished_at"), isoTime(t.finishedAt)},
                              {QStringLiteral("from_store"), t.fromStore},
                              {QStringLiteral("remeasured_ms"), rounds}});
    }
    const QJsonObject device{{QStringLiteral("id"), r.device.id},
                             {QStringLiteral("name"), r.device.name},
                             {QStringLiteral("backend"), r.device.backend},
                             {QStringLiteral("toolchain"), r.device.toolchain},
                             {QStringLiteral("details"), r.device.details}};
    const QJsonObject s{{QStringLiteral("state"), r.state},
                        {QStringLiteral("device"), device},
                        {QStringLiteral("kernel"), r.kernel},
                        {QStringLiteral("problem"), r.problem},
                        {QStringLiteral("space"), r.space},
                        {QStringLiteral("strategy"), r.strategy},
                        {QStringLiteral("strategy_options"), r.strategyOptions},
                        {QStringLiteral("seed"), QString::number(r.seed)},
                        {QStringLiteral("budget_evaluations"), r.budgetEvaluations},
                        {QStringLiteral("budget_seconds"), r.budgetSeconds},
                        {QStringLiteral("budget_stall"), r.budgetStall},
                        {QStringLiteral("flush_l2"), r.timing.flushL2},
                        {QStringLiteral("cuda_graph"), r.timing.cudaGraph},
                        {QStringLiteral("remeasure_top"), r.remeasureTop},
                        {QStringLiteral("remeasure_rounds"), r.remeasureRounds},
                        {QStringLiteral("elapsed_ms"), r.elapsedMs},
                        {QStringLiteral("created_at"), isoTime(r.createdAt)}};
    return QJsonDocument(QJsonObject{{QStringLiteral("session"), s}, {QStringLiteral("trials"), ts}}).toJson(QJsonDocument::Indented);
}

Result<BundleEntry> Bundle::entryOf(const SessionRecord& record, const QVector<Trial>& trials, int keyPosition)
{
    auto key = TuningLadder::problemValue(record.problem, keyPosition);
    if (!key)
        return Error{key.error()};
    const auto best = BestTrial::of(trials);
    if (!best)
        return Error{QStringLiteral("no ok, verified trial to bundle")};
    BundleEntry e;
    e.gpu = record.device.name;
    e.key = key.value();
    e.problem = record.problem;
    e.kernel = record.kernel;
    e.strategy = record.strategy;
    e.evaluations = int(trials.size());
    e.bestMs = BestTrial::rankingMs(best.value());
    e.bestConfig = best->config;
    e.toolchain = record.device.toolchain;
    const QJsonObject details = record.device.details;
    e.driver = details.value(QLatin1String("versions")).toObject().value(QLatin1String("driver")).toString(
        details.value(QLatin1String("driver")).toString());
    return e;
}

Result<void> Bundle::checkEntry(const BundleEntry& entry, int index, const QByteArray& sessionJson, int keyPosition)
{
    const QString where = QStringLiteral("manifest.json.entries[%1]").arg(index);
    auto s = parseSession(sessionJson, entry.sessionMember);
    if (!s)
        return Error{s.error()};
    auto derived = entryOf(s->first, s->second, keyPosition);
    if (!derived)
        return Error{QStringLiteral("%1: %2").arg(entry.sessionMember, derived.error())};
    const BundleEntry& d = derived.value();
    // The manifest is a summary of the data; a summary that says something else is a forgery or
    // a broken tool, and merge and inspect would believe it.
    auto differ = [&](const char* field, const QString& says, const QString& data) {
        return Error{QStringLiteral("%1.%2: the manifest says %3 but %4 gives %5; the data wins, so the bundle is refused")
                         .arg(where, QLatin1String(field), clip(says), entry.sessionMember, clip(data))};
    };
    const struct {
        const char* field;
        QString says, data;
    } texts[] = {{"gpu", entry.gpu, d.gpu},
                 {"problem", entry.problem, d.problem},
                 {"kernel", entry.kernel, d.kernel},
                 {"strategy", entry.strategy, d.strategy},
                 {"toolchain", entry.toolchain, d.toolchain},
                 {"driver", entry.driver, d.driver}};
    for (const auto& t : texts)
        if (t.says != t.data)
            return differ(t.field, QStringLiteral("'%1'").arg(t.says), QStringLiteral("'%1'").arg(t.data));
    if (entry.key != d.key)
        return differ("key", QString::number(entry.key), QString::number(d.key));
    if (entry.evaluations != d.evaluations)
        return differ("evaluations", QString::number(entry.evaluations), QStringLiteral("%1 trials").arg(d.evaluations));
    // JSON numbers round-trip exactly; the tolerance only forgives another writer's last digit.
    if (!(std::abs(entry.bestMs - d.bestMs) <= 1e-9 * std::abs(d.bestMs)))
        return differ("best_ms", QString::number(entry.bestMs, 'g', 17), QStringLiteral("%1 ms").arg(d.bestMs, 0, 'g', 17));
    if (entry.bestConfig != d.bestConfig)
        return differ("best_config", jsonText(entry.bestConfig), jsonText(d.bestConfig));
    return {};
}

Result<std::pair<SessionRecord, QVector<Trial>>> Bundle::parseSession(const QByteArray& json, const QString& member)
{
    auto doc = parseJsonObject(json, member);
    if (!doc)
        return Error{doc.error()};
    Fields top{doc.value(), member, {}};
    const QJsonObject so = top.obj("session");
    const QJsonArray ts = top.arr("trials");
    if (!top.error.isEmpty())
        return Error{top.error};
    Fields f{so, member + QStringLiteral(": session"), {}};
    SessionRecord r;
    r.state = f.str("state");
    const QJsonObject dev = f.obj("device");
    r.kernel = f.str("kernel");
    r.problem = f.str("problem");
    r.space = f.obj("space");
    r.strategy = f.str("strategy");
    r.strategyOptions = f.obj("strategy_options");
    bool seedOk = false;
    r.seed = f.str("seed").toULongLong(&seedOk);
    r.budgetEvaluations = f.count("budget_evaluations");
    r.budgetSeconds = f.num("budget_seconds");
    r.budgetStall = f.count("budget_stall");
    r.remeasureTop = f.count("remeasure_top");
    r.remeasureRounds = f.count("remeasure_rounds");
    r.elapsedMs = f.num("elapsed_ms");
    r.timing.flushL2 = so.value(QLatin1String("flush_l2")).toBool(true);
    r.timing.cudaGraph = so.value(QLatin1String("cuda_graph")).toBool(false);
    r.createdAt = QDateTime::fromString(f.str("created_at"), Qt::ISODateWithMs);
    if (!f.error.isEmpty())
        return Error{f.error};
    if (!seedOk)
        return Error{QStringLiteral("%1.seed: expected an unsigned integer in a string").arg(f.where)};
    Fields d{dev, f.where + QStringLiteral(".device"), {}};
    r.device.id = d.str("id");
    r.device.name = d.str("name");
    r.device.backend = d.str("backend");
    r.device.toolchain = d.str("toolchain");
    r.device.details = d.obj("details");
    if (!d.error.isEmpty())
        return Error{d.error};
    QVector<Trial> trials;
    for (int i = 0; i < ts.size(); ++i) {
        const QJsonObject to = ts[i].toObject();
        Fields t{to, QStringLiteral("%1: trials[%2]").arg(member).arg(i), {}};
        Trial trial;
        trial.sequence = t.count("sequence", 1);
        trial.spaceIndex = t.integer("space_index", -1);
        trial.configKey = t.str("config_key");
        trial.config = t.obj("config");
        const QString status = t.str("status");
        trial.measurement.objectiveMs = t.num("objective_ms", true);
        trial.measurement.compileTimeMs = t.num("compile_ms", true);
        trial.measurement.error = t.str("error");
        trial.measurement.extra = t.obj("extra");
        for (const QJsonValue& v : t.arr("samples_ms"))
            trial.measurement.samplesMs.append(v.toDouble());
        for (const QJsonValue& v : t.arr("remeasured_ms"))
            trial.remeasuredMs.append(v.toDouble());
        trial.startedAt = QDateTime::fromString(t.str("started_at"), Qt::ISODateWithMs);
        trial.finishedAt = QDateTime::fromString(t.str("finished_at"), Qt::ISODateWithMs);
        trial.fromStore = to.value(QLatin1String("from_store")).toBool();
        if (!t.error.isEmpty())
            return Error{t.error};
        const auto s = statusFromName(status);
        if (!s)
            return Error{QStringLiteral("%1.status: unknown status '%2'").arg(t.where, clip(status))};
        trial.measurement.status = *s;
        // A time that is not finite and positive would become the best and be exported.
        auto time = [](double v) { return std::isfinite(v) && v > 0; };
        if (*s == Status::Ok && !time(trial.measurement.objectiveMs))
            return Error{QStringLiteral("%1.objective_ms: an ok trial needs a finite time > 0, got %2").arg(t.where).arg(trial.measurement.objectiveMs)};
        for (int k = 0; *s == Status::Ok && k < trial.measurement.samplesMs.size(); ++k)
            if (!time(trial.measurement.samplesMs[k]))
                return Error{QStringLiteral("%1.samples_ms[%2]: %3 is not a time > 0").arg(t.where).arg(k).arg(jsonText(to.value(QLatin1String("samples_ms")).toArray().at(k)))};
        for (int k = 0; k < trial.remeasuredMs.size(); ++k)
            if (!time(trial.remeasuredMs[k]))
                return Error{QStringLiteral("%1.remeasured_ms[%2]: %3 is not a time > 0").arg(t.where).arg(k).arg(jsonText(to.value(QLatin1String("remeasured_ms")).toArray().at(k)))};
        if (trial.measurement.compileTimeMs < 0) // null (unknown) reads as NaN and passes
            return Error{QStringLiteral("%1.compile_ms: %2 is not a duration >= 0").arg(t.where).arg(trial.measurement.compileTimeMs)};
        trials.append(trial);
    }
    return std::make_pair(r, trials);
}

} // namespace dv
