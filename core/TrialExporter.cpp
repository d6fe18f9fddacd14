#include "TrialExporter.h"

#include "Gzip.h"
#include "KernelTunerCache.h"
#include "SafeFile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace dv {

namespace {

QString csvField(QString s)
{
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n'))) {
        s.replace(QLatin1String("\""), QLatin1String("\"\""));
        return QLatin1Char('"') + s + QLatin1Char('"');
    }
    return s;
}

QString valueText(const QJsonValue& v)
{
    if (v.isString())
        return v.toString();
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    return QString::number(v.toDouble(), 'g', 17);
}

QString num(double x) { return std::isfinite(x) ? QString::number(x, 'g', 10) : QString(); }

} // namespace

QByteArray TrialExporter::toCsv(const SessionRecord& session, const QVector<Trial>& trials)
{
    QStringList names;
    for (const QJsonValue& p : session.space.value(QLatin1String("parameters")).toArray())
        names.append(p.toObject().value(QLatin1String("name")).toString());
    QStringList header{QStringLiteral("seq")};
    header += names;
    header += {QStringLiteral("status"), QStringLiteral("time_ms"), QStringLiteral("samples"),
               QStringLiteral("compile_ms"), QStringLiteral("from_store"), QStringLiteral("started_at"),
               QStringLiteral("finished_at"), QStringLiteral("error")};
    QString out = header.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (const Trial& t : trials) {
        QStringList row{QString::number(t.sequence)};
        for (const QString& n : names)
            row.append(csvField(valueText(t.config.value(n))));
        const Measurement& m = t.measurement;
        QStringList samples;
        for (double s : m.samplesMs)
            samples.append(QString::number(s, 'g', 10));
        row += {statusName(m.status), m.status == Status::Ok ? num(m.objectiveMs) : QString(),
                csvField(samples.join(QLatin1Char(' '))), num(m.compileTimeMs),
                t.fromStore ? QStringLiteral("1") : QStringLiteral("0"), t.startedAt.toString(Qt::ISODateWithMs),
                t.finishedAt.toString(Qt::ISODateWithMs), csvField(m.error)};
        out += row.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return out.toUtf8();
}

Result<QByteArray> TrialExporter::toKernelTuner(const SessionRecord& session, const QVector<Trial>& trials)
{
    auto parameters = ConfigSpace::parametersFromJson(session.space, QStringLiteral("session %1 space").arg(session.id));
    if (!parameters)
        return Error{parameters.error()};
    auto shape = ConfigSpace::fromOrdinals(QString(), parameters.value(), {});
    if (!shape)
        return Error{shape.error()};
    std::vector<std::pair<quint64, Measurement>> entries;
    const auto& params = parameters.value();
    for (const Trial& t : trials) {
        quint64 ordinal = 0, stride = 1;
        for (int i = int(params.size()) - 1; i >= 0; --i) {
            const int v = shape->valueIndex(i, t.config.value(params[i].name));
            if (v < 0)
                return Error{QStringLiteral("trial %1: value of '%2' is not in the session's space").arg(t.sequence).arg(params[i].name)};
            ordinal += quint64(v) * stride;
            stride *= quint64(params[i].values.size());
        }
        entries.emplace_back(ordinal, t.measurement);
    }
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    KernelTunerCache cache;
    std::vector<quint64> ordinals;
    for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0 && entries[i].first == entries[i - 1].first)
            continue; // a session measures each configuration once; keep the first
        ordinals.push_back(entries[i].first);
        cache.measurements.push_back(entries[i].second);
    }
    auto space = ConfigSpace::fromOrdinals(session.kernel, params, std::move(ordinals));
    if (!space)
        return Error{space.error()};
    cache.space = space.value();
    cache.kernelName = session.kernel;
    // A replay of a file with no device name falls back on the file name; keep the file's own.
    const QJsonValue recorded = session.device.details.value(QLatin1String("recorded_device_name"));
    cache.deviceName = recorded.isString() ? recorded.toString() : session.device.name;
    const QJsonDocument problem = QJsonDocument::fromJson("[" + session.problem.toUtf8() + "]");
    cache.problemSize = problem.isArray() && !problem.array().isEmpty() ? problem.array().first() : QJsonValue();
    cache.extraHeader.insert(QStringLiteral("dejavu_session"),
                             QJsonObject{{QStringLiteral("id"), session.id},
                                         {QStringLiteral("device_id"), session.device.id},
                                         {QStringLiteral("toolchain"), session.device.toolchain},
                                         {QStringLiteral("strategy"), session.strategy}});
    return cache.toJson();
}

namespace {

QString t4Invalidity(Status s)
{
    switch (s) {
    case Status::Ok: return QStringLiteral("correct");
    case Status::CompileError: return QStringLiteral("compile");
    case Status::RuntimeError:
    case Status::Crashed: return QStringLiteral("runtime");
    case Status::Timeout: return QStringLiteral("timeout");
    case Status::WrongResult: return QStringLiteral("correctness");
    case Status::Invalid: return QStringLiteral("constraints");
    }
    return QStringLiteral("runtime");
}

} // namespace

QByteArray TrialExporter::toT4(const SessionRecord& session, const QVector<Trial>& trials)
{
    Q_UNUSED(session);
    QJsonArray results;
    for (const Trial& t : trials) {
        const Measurement& m = t.measurement;
        QJsonObject times;
        if (std::isfinite(m.compileTimeMs))
            times.insert(QStringLiteral("compilation"), m.compileTimeMs);
        QJsonArray runtimes;
        for (double x : m.samplesMs)
            runtimes.append(x);
        times.insert(QStringLiteral("runtimes"), runtimes);
        QJsonArray measurements;
        if (m.isOk())
            measurements.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("time")},
                                            {QStringLiteral("value"), m.objectiveMs},
                                            {QStringLiteral("unit"), QStringLiteral("ms")}});
        else
            measurements.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("time")},
                                            {QStringLiteral("value"), statusName(m.status)},
                                            {QStringLiteral("unit"), QStringLiteral("ms")}});
        results.append(QJsonObject{{QStringLiteral("timestamp"), t.finishedAt.toString(Qt::ISODateWithMs)},
                                   {QStringLiteral("configuration"), t.config},
                                   {QStringLiteral("times"), times},
                                   {QStringLiteral("invalidity"), t4Invalidity(m.status)},
                                   {QStringLiteral("correctness"), m.status == Status::WrongResult ? 0 : 1},
                                   {QStringLiteral("measurements"), measurements},
                                   {QStringLiteral("objectives"), QJsonArray{QStringLiteral("time")}}});
    }
    return QJsonDocument(QJsonObject{{QStringLiteral("schema_version"), QStringLiteral("1.0.0")},
                                     {QStringLiteral("results"), results}})
        .toJson(QJsonDocument::Indented);
}

Result<int> TrialExporter::validateT4(const QByteArray& json, const QString& source)
{
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject())
        return Error{QStringLiteral("%1: not a JSON object (%2)").arg(source, pe.errorString())};
    const QJsonObject root = doc.object();
    static const QRegularExpression version(QStringLiteral("^[0-9]+\\.[0-9]+\\.[0-9]+$"));
    if (!root.value(QLatin1String("schema_version")).isString()
        || !version.match(root.value(QLatin1String("schema_version")).toString()).hasMatch())
        return Error{QStringLiteral("%1: schema_version: expected a string major.minor.patch").arg(source)};
    if (!root.value(QLatin1String("results")).isArray())
        return Error{QStringLiteral("%1: results: expected an array").arg(source)};
    static const QStringList invalidity{QStringLiteral("timeout"), QStringLiteral("compile"), QStringLiteral("runtime"),
                                        QStringLiteral("correctness"), QStringLiteral("constraints"), QStringLiteral("correct")};
    const QJsonArray results = root.value(QLatin1String("results")).toArray();
    for (int i = 0; i < results.size(); ++i) {
        const QString where = QStringLiteral("%1: results[%2]").arg(source).arg(i);
        if (!results[i].isObject())
            return Error{where + QStringLiteral(": expected an object")};
        const QJsonObject r = results[i].toObject();
        if (!r.value(QLatin1String("configuration")).isObject())
            return Error{where + QStringLiteral(".configuration: required object")};
        if (!r.value(QLatin1String("times")).isObject())
            return Error{where + QStringLiteral(".times: required object")};
        const QJsonObject times = r.value(QLatin1String("times")).toObject();
        for (const char* number : {"compilation_time", "compilation", "framework", "search_algorithm", "validation", "benchmark"})
            if (times.contains(QLatin1String(number)) && !times.value(QLatin1String(number)).isDouble())
                return Error{where + QStringLiteral(".times.%1: expected a number").arg(QLatin1String(number))};
        if (times.contains(QLatin1String("runtimes")) && !times.value(QLatin1String("runtimes")).isArray())
            return Error{where + QStringLiteral(".times.runtimes: expected an array")};
        if (!invalidity.contains(r.value(QLatin1String("invalidity")).toString()))
            return Error{where + QStringLiteral(".invalidity: required, one of %1").arg(invalidity.join(QStringLiteral(", ")))};
        if (!r.value(QLatin1String("correctness")).isDouble())
            return Error{where + QStringLiteral(".correctness: required number")};
        if (r.contains(QLatin1String("timestamp")) && !r.value(QLatin1String("timestamp")).isString())
            return Error{where + QStringLiteral(".timestamp: expected a string")};
        if (r.contains(QLatin1String("objectives")) && !r.value(QLatin1String("objectives")).isArray())
            return Error{where + QStringLiteral(".objectives: expected an array")};
        if (r.contains(QLatin1String("measurements"))) {
            if (!r.value(QLatin1String("measurements")).isArray())
                return Error{where + QStringLiteral(".measurements: expected an array")};
            const QJsonArray ms = r.value(QLatin1String("measurements")).toArray();
            for (int j = 0; j < ms.size(); ++j) {
                const QJsonObject m = ms[j].toObject();
                const QJsonValue v = m.value(QLatin1String("value"));
                if (!ms[j].isObject() || !m.value(QLatin1String("name")).isString()
                    || !(v.isDouble() || v.isString() || v.isArray()))
                    return Error{where + QStringLiteral(".measurements[%1]: expected {name: string, value: number, string or array}").arg(j)};
            }
        }
    }
    return int(results.size());
}

Result<void> TrialExporter::write(const QString& format, const SessionRecord& session, const QVector<Trial>& trials,
                                  const QString& path, bool force)
{
    QByteArray bytes;
    if (format == QLatin1String("csv")) {
        bytes = toCsv(session, trials);
    } else if (format == QLatin1String("kerneltuner")) {
        auto kt = toKernelTuner(session, trials);
        if (!kt)
            return Error{kt.error()};
        bytes = kt.value();
    } else if (format == QLatin1String("t4")) {
        bytes = toT4(session, trials);
        // Read back with the schema's rules before anything is written.
        if (auto checked = validateT4(bytes, path); !checked)
            return Error{checked.error()};
    } else {
        return Error{QStringLiteral("unknown export format '%1' (known: %2)").arg(format, formats().join(QStringLiteral(", ")))};
    }
    if (SafeFile::isStdout(path))
        return SafeFile::writeStdout(bytes);
    if (path.endsWith(QLatin1String(".gz")))
        bytes = gzip(bytes);
    if (auto written = SafeFile::write(path, bytes, force); !written)
        return Error{written.error()};
    return {};
}

} // namespace dv
