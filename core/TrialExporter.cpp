#include "TrialExporter.h"

#include "Gzip.h"
#include "KernelTunerCache.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

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

Result<void> TrialExporter::write(const QString& format, const SessionRecord& session, const QVector<Trial>& trials,
                                  const QString& path)
{
    QByteArray bytes;
    if (format == QLatin1String("csv")) {
        bytes = toCsv(session, trials);
    } else if (format == QLatin1String("kerneltuner")) {
        auto kt = toKernelTuner(session, trials);
        if (!kt)
            return Error{kt.error()};
        bytes = kt.value();
    } else {
        return Error{QStringLiteral("unknown export format '%1' (known: %2)").arg(format, formats().join(QStringLiteral(", ")))};
    }
    if (path.endsWith(QLatin1String(".gz")))
        bytes = gzip(bytes);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{QStringLiteral("%1: cannot write: %2").arg(path, file.errorString())};
    if (file.write(bytes) != bytes.size() || !file.commit())
        return Error{QStringLiteral("%1: cannot write: %2").arg(path, file.errorString())};
    return {};
}

} // namespace dv
