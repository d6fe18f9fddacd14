#include "device/KernelTunerCache.h"

#include "base/Gzip.h"
#include "base/JsonUtil.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>

namespace dv {

std::optional<Status> KernelTunerCache::statusFromFailure(const QString& text)
{
    if (text == QLatin1String("InvalidConfig"))
        return Status::Invalid;
    if (text == QLatin1String("CompilationFailedConfig"))
        return Status::CompileError;
    if (text == QLatin1String("RuntimeFailedConfig"))
        return Status::RuntimeError;
    return std::nullopt;
}

QString KernelTunerCache::failureFor(Status status)
{
    switch (status) {
    case Status::Invalid: return QStringLiteral("InvalidConfig");
    case Status::CompileError: return QStringLiteral("CompilationFailedConfig");
    default: return QStringLiteral("RuntimeFailedConfig");
    }
}

Result<KernelTunerCache> KernelTunerCache::read(QIODevice& device, const QString& source)
{
    if (!device.isOpen() && !device.open(QIODevice::ReadOnly))
        return Error{QStringLiteral("%1: cannot open: %2").arg(source, device.errorString())};
    return parse(device.readAll(), source);
}

namespace {

Error fieldError(const QString& source, const QString& field, const QString& why)
{
    return Error{QStringLiteral("%1: %2: %3").arg(source, field, why)};
}

// The parameters, in tune_params_keys order, with their values from tune_params; each value's type
// decides the parameter's (any string: String, any bool: Bool, any fraction: Float, else Int).
Result<QVector<Parameter>> readParameters(const QJsonArray& keys, const QJsonObject& tuneParams, const QString& source)
{
    auto fail = [&](const QString& field, const QString& why) { return fieldError(source, field, why); };
    QVector<Parameter> parameters;
    for (const QJsonValue& k : keys) {
        if (!k.isString())
            return fail(QStringLiteral("tune_params_keys"), QStringLiteral("expected strings, got %1").arg(jsonText(k)));
        const QString name = k.toString();
        // A configuration is an object keyed by parameter name: a name listed twice cannot be told apart.
        if (std::any_of(parameters.begin(), parameters.end(), [&](const Parameter& p) { return p.name == name; }))
            return fail(QStringLiteral("tune_params_keys"), QStringLiteral("'%1' appears twice").arg(name));
        const QJsonValue values = tuneParams.value(name);
        if (!values.isArray() || values.toArray().isEmpty())
            return fail(QStringLiteral("tune_params.%1").arg(name), QStringLiteral("expected a non-empty array of values"));
        Parameter p;
        p.name = name;
        bool fraction = false, strings = false, bools = false;
        for (const QJsonValue& v : values.toArray()) {
            if (v.isString())
                strings = true;
            else if (v.isBool())
                bools = true;
            else if (v.isDouble())
                fraction = fraction || v.toDouble() != std::floor(v.toDouble());
            else
                return fail(QStringLiteral("tune_params.%1").arg(name), QStringLiteral("unsupported value %1").arg(jsonText(v)));
            // Two positions with one value would make two configurations of one.
            if (p.values.contains(v))
                return fail(QStringLiteral("tune_params.%1").arg(name), QStringLiteral("value %1 appears twice").arg(jsonText(v)));
            p.values.append(v);
        }
        p.type = strings ? ParameterType::String : bools ? ParameterType::Bool
               : fraction ? ParameterType::Float : ParameterType::Int;
        parameters.append(p);
    }

    return parameters;
}

// The ordinal of a cache entry in the full product of the parameters: from the entry's own fields, or
// from the key text where an entry does not repeat them.
Result<quint64> entryOrdinal(const QJsonObject& e, const QString& key, const QVector<Parameter>& parameters,
                             const ConfigSpace& shape, const std::vector<quint64>& stride, const QString& at,
                             const QString& source)
{
    const QStringList keyParts = key.split(QLatin1Char(','));
    quint64 ordinal = 0;
    for (int i = 0; i < parameters.size(); ++i) {
        QJsonValue v = e.value(parameters[i].name);
        int vi = -1;
        if (!v.isUndefined()) {
            vi = shape.valueIndex(i, v);
        } else if (keyParts.size() == parameters.size()) {
            // Entries normally repeat every parameter; fall back to the key text.
            for (int j = 0; j < parameters[i].values.size() && vi < 0; ++j) {
                const QJsonValue cand = parameters[i].values[j];
                const QString& part = keyParts[i];
                bool numeric = false;
                const double x = part.toDouble(&numeric);
                if ((cand.isString() && cand.toString() == part)
                    || (cand.isBool() && part == (cand.toBool() ? QLatin1String("True") : QLatin1String("False")))
                    || (cand.isDouble() && numeric && cand.toDouble() == x))
                    vi = j;
            }
        }
        if (vi < 0)
            return fieldError(source, at + QLatin1Char('.') + parameters[i].name,
                        QStringLiteral("value %1 is not in tune_params").arg(jsonText(v)));
        ordinal += quint64(vi) * stride[size_t(i)];
    }

    return ordinal;
}

// The measurement of one cache entry: a time (and its samples) or Kernel Tuner's failure word, our own
// status and error where Kernel Tuner has no word for them, and the compile time.
Result<Measurement> readEntry(const QJsonObject& e, const QString& at, const QString& source)
{
    auto fail = [&](const QString& field, const QString& why) { return fieldError(source, field, why); };
    Measurement m;
    const QJsonValue time = e.value(QLatin1String("time"));
    // A time that is not finite and positive is no measurement: it would become the best.
    auto positive = [](const QJsonValue& v) { return v.isDouble() && std::isfinite(v.toDouble()) && v.toDouble() > 0; };
    if (time.isDouble()) {
        if (!positive(time))
            return fail(at + QStringLiteral(".time"), QStringLiteral("%1 is not a time (expected a finite number of ms > 0)").arg(jsonText(time)));
        m.status = Status::Ok;
        m.objectiveMs = time.toDouble();
        const QJsonValue times = e.value(QLatin1String("times"));
        if (times.isArray()) {
            const QJsonArray list = times.toArray();
            for (int t = 0; t < list.size(); ++t) {
                if (!positive(list[t]))
                    return fail(at + QStringLiteral(".times[%1]").arg(t),
                                QStringLiteral("%1 is not a time (expected a finite number of ms > 0)").arg(jsonText(list[t])));
                m.samplesMs.append(list[t].toDouble());
            }
        }
        if (m.samplesMs.isEmpty())
            m.samplesMs.append(m.objectiveMs);
    } else if (time.isString()) {
        const auto status = KernelTunerCache::statusFromFailure(time.toString());
        if (!status)
            return fail(at + QStringLiteral(".time"), QStringLiteral("unknown failure '%1' (expected a number, InvalidConfig, CompilationFailedConfig or RuntimeFailedConfig)").arg(clip(time.toString())));
        m.status = *status;
    } else {
        return fail(at + QStringLiteral(".time"), QStringLiteral("expected a number or a failure string, got %1").arg(jsonText(time)));
    }
    // Statuses Kernel Tuner has no word for travel in our own field.
    const QJsonValue ours = e.value(QLatin1String("dejavu_status"));
    if (ours.isString()) {
        const auto status = statusFromName(ours.toString());
        if (!status || (*status == Status::Ok) != (m.status == Status::Ok))
            return fail(at + QStringLiteral(".dejavu_status"), QStringLiteral("'%1' does not match the entry's time").arg(clip(ours.toString())));
        m.status = *status;
    }
    m.error = e.value(QLatin1String("dejavu_error")).toString();
    const QJsonValue compile = e.value(QLatin1String("compile_time"));
    if (compile.isDouble()) {
        if (!std::isfinite(compile.toDouble()) || compile.toDouble() < 0)
            return fail(at + QStringLiteral(".compile_time"), QStringLiteral("%1 is not a duration (expected ms >= 0)").arg(jsonText(compile)));
        m.compileTimeMs = compile.toDouble();
    }
    for (const char* field : {"benchmark_time", "verification_time", "timestamp"}) {
        const QJsonValue v = e.value(QLatin1String(field));
        if (!v.isUndefined() && !(v.isString() && v.toString().isEmpty()))
            m.extra.insert(QLatin1String(field), v);
    }
    return m;
}

} // namespace

Result<KernelTunerCache> KernelTunerCache::parse(const QByteArray& raw, const QString& source)
{
    QByteArray bytes = raw;
    if (isGzip(raw)) {
        auto inflated = gunzip(raw, source);
        if (!inflated)
            return Error{inflated.error()};
        bytes = std::move(inflated.value());
    }
    // Kernel Tuner appends entries as it goes and closes the object only at the end; a run that
    // was interrupted leaves "...},\n" behind. Kernel Tuner itself reads such files, so do we.
    QByteArray trimmed = bytes.trimmed();
    if (trimmed.endsWith(','))
        bytes = trimmed.chopped(1) + "}}";
    auto root = parseJsonObject(bytes, source);
    if (!root)
        return Error{root.error()};
    const QJsonObject& o = root.value();
    auto fail = [&](const QString& field, const QString& why) {
        return Error{QStringLiteral("%1: %2: %3").arg(source, field, why)};
    };

    KernelTunerCache cache;
    cache.deviceName = o.value(QLatin1String("device_name")).toString();
    cache.kernelName = o.value(QLatin1String("kernel_name")).toString();
    cache.problemSize = o.value(QLatin1String("problem_size"));

    const QJsonValue keysValue = o.value(QLatin1String("tune_params_keys"));
    if (!keysValue.isArray() || keysValue.toArray().isEmpty())
        return fail(QStringLiteral("tune_params_keys"), QStringLiteral("expected a non-empty array of parameter names"));
    const QJsonValue paramsValue = o.value(QLatin1String("tune_params"));
    if (!paramsValue.isObject())
        return fail(QStringLiteral("tune_params"), QStringLiteral("expected an object (parameter -> list of values)"));
    const QJsonObject tuneParams = paramsValue.toObject();

    auto read = readParameters(keysValue.toArray(), tuneParams, source);
    if (!read)
        return Error{read.error()};
    const QVector<Parameter> parameters = read.value();
    const QJsonValue cacheValue = o.value(QLatin1String("cache"));
    if (!cacheValue.isObject())
        return fail(QStringLiteral("cache"), QStringLiteral("expected an object (configuration key -> entry)"));
    const QJsonObject entries = cacheValue.toObject();
    if (entries.isEmpty())
        return fail(QStringLiteral("cache"), QStringLiteral("no entries: a cache without a single measured configuration is no landscape"));

    auto shape = ConfigSpace::fromOrdinals(QString(), parameters, {});
    if (!shape)
        return fail(QStringLiteral("tune_params"), shape.error());
    std::vector<quint64> stride(size_t(parameters.size()), 1);
    for (int i = int(parameters.size()) - 2; i >= 0; --i)
        stride[size_t(i)] = stride[size_t(i + 1)] * quint64(parameters[i + 1].values.size());

    std::vector<std::pair<quint64, Measurement>> found;
    found.reserve(size_t(entries.size()));
    for (auto it = entries.begin(); it != entries.end(); ++it) {
        const QString at = QStringLiteral("cache[\"%1\"]").arg(clip(it.key()));
        if (!it.value().isObject())
            return fail(at, QStringLiteral("expected an object"));
        const QJsonObject e = it.value().toObject();
        auto ordinal = entryOrdinal(e, it.key(), parameters, shape.value(), stride, at, source);
        if (!ordinal)
            return Error{ordinal.error()};
        auto m = readEntry(e, at, source);
        if (!m)
            return Error{m.error()};
        found.emplace_back(ordinal.value(), std::move(m.value()));
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 1; i < found.size(); ++i) {
        if (found[i].first == found[i - 1].first)
            return fail(QStringLiteral("cache"), QStringLiteral("two entries describe the same configuration"));
    }
    std::vector<quint64> ordinals;
    ordinals.reserve(found.size());
    for (auto& f : found) {
        ordinals.push_back(f.first);
        cache.measurements.push_back(std::move(f.second));
    }
    auto space = ConfigSpace::fromOrdinals(cache.kernelName, parameters, std::move(ordinals));
    if (!space)
        return fail(QStringLiteral("cache"), space.error());
    cache.space = space.value();

    static const QStringList known = {QStringLiteral("device_name"), QStringLiteral("kernel_name"),
                                      QStringLiteral("problem_size"), QStringLiteral("tune_params_keys"),
                                      QStringLiteral("tune_params"), QStringLiteral("cache")};
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!known.contains(it.key()))
            cache.extraHeader.insert(it.key(), it.value());
    }
    return cache;
}

QByteArray KernelTunerCache::toJson() const
{
    // Written by hand rather than through QJsonObject so that the header comes first and the
    // entries keep the space order, as Kernel Tuner writes them.
    auto compact = [](const QJsonValue& v) {
        QByteArray a = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
        return a.mid(1, a.size() - 2);
    };
    QJsonArray keys;
    QJsonObject tuneParams;
    for (const Parameter& p : space.parameters()) {
        keys.append(p.name);
        QJsonArray values;
        for (const QJsonValue& v : p.values)
            values.append(v);
        tuneParams.insert(p.name, values);
    }
    QByteArray out = "{\n";
    out += "\"device_name\": " + compact(deviceName) + ",\n";
    out += "\"kernel_name\": " + compact(kernelName) + ",\n";
    out += "\"problem_size\": " + compact(problemSize.isUndefined() ? QJsonValue() : problemSize) + ",\n";
    out += "\"tune_params_keys\": " + compact(keys) + ",\n";
    out += "\"tune_params\": " + compact(tuneParams) + ",\n";
    // "objective" is written below (entries always hold "time"); writing a read one too would repeat the name.
    for (auto it = extraHeader.begin(); it != extraHeader.end(); ++it) {
        if (it.key() != QLatin1String("objective"))
            out += compact(it.key()) + ": " + compact(it.value()) + ",\n";
    }
    out += "\"objective\": \"time\",\n\"cache\": {";
    for (qint64 i = 0; i < space.size(); ++i) {
        const QJsonObject config = space.config(i);
        const Measurement& m = measurements[size_t(i)];
        QStringList keyParts;
        QByteArray entry = "{";
        for (const Parameter& p : space.parameters()) {
            const QJsonValue v = config.value(p.name);
            // Kernel Tuner joins Python's str() of each value: True/False, 1.0 for a float.
            QString text = v.isString() ? v.toString()
                         : v.isBool() ? (v.toBool() ? QStringLiteral("True") : QStringLiteral("False"))
                                      : QString::fromUtf8(compact(v));
            if (p.type == ParameterType::Float && v.isDouble() && v.toDouble() == std::floor(v.toDouble()))
                text += QStringLiteral(".0");
            keyParts.append(text);
            entry += compact(p.name) + ": " + compact(v) + ", ";
        }
        if (m.isOk()) {
            QJsonArray times;
            for (double t : m.samplesMs)
                times.append(t);
            entry += "\"time\": " + compact(m.objectiveMs) + ", \"times\": " + compact(times);
        } else {
            entry += "\"time\": " + compact(failureFor(m.status));
            if (statusFromFailure(failureFor(m.status)) != m.status)
                entry += ", \"dejavu_status\": " + compact(statusName(m.status));
            if (!m.error.isEmpty())
                entry += ", \"dejavu_error\": " + compact(m.error);
        }
        // An unknown compile time stays unknown rather than becoming 0.
        if (std::isfinite(m.compileTimeMs))
            entry += ", \"compile_time\": " + compact(m.compileTimeMs);
        for (auto it = m.extra.begin(); it != m.extra.end(); ++it) {
            if (it.key() == QLatin1String("benchmark_time") || it.key() == QLatin1String("verification_time")
                || it.key() == QLatin1String("timestamp"))
                entry += ", " + compact(it.key()) + ": " + compact(it.value());
        }
        entry += "}";
        out += (i == 0 ? "\n" : ",\n") + compact(keyParts.join(QLatin1Char(','))) + ": " + entry;
    }
    out += "\n}\n}\n";
    return out;
}

} // namespace dv
