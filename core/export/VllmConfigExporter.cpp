#include "export/VllmConfigExporter.h"

#include "base/JsonUtil.h"
#include "base/SafeFile.h"
#include "export/PythonText.h"
#include "export/TuningLadder.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <cmath>
#include <limits>

namespace dv {

namespace {

/// Names the studio's spaces use for the same meaning (the Triton matmul tutorial's).
const QMap<QString, QString>& aliases()
{
    static const QMap<QString, QString> a{{QStringLiteral("BLOCK_M"), QStringLiteral("BLOCK_SIZE_M")},
                                          {QStringLiteral("BLOCK_N"), QStringLiteral("BLOCK_SIZE_N")},
                                          {QStringLiteral("BLOCK_K"), QStringLiteral("BLOCK_SIZE_K")},
                                          {QStringLiteral("GROUP_M"), QStringLiteral("GROUP_SIZE_M")}};
    return a;
}

/// Fields vLLM's fused MoE launch also accepts (split-K, and the ROCm tuning knobs).
QStringList optionalKeys()
{
    return {QStringLiteral("SPLIT_K"), QStringLiteral("waves_per_eu"), QStringLiteral("matrix_instr_nonkdim"),
            QStringLiteral("kpack")};
}

QStringList knownDtypes()
{
    return {QStringLiteral("fp8_w8a8"), QStringLiteral("int8_w8a8"), QStringLiteral("int8_w8a16"),
            QStringLiteral("int4_w4a16"), QStringLiteral("mxfp4_w4a4"), QStringLiteral("float32")};
}

QString configText(const QJsonObject& config)
{
    return QString::fromUtf8(QJsonDocument(config).toJson(QJsonDocument::Compact));
}

bool isPowerOfTwo(qint64 v) { return v > 0 && (v & (v - 1)) == 0; }

} // namespace

Result<VllmFields> VllmConfigExporter::entryFields(const QJsonObject& config, const QString& who)
{
    QMap<QString, qint64> values;
    for (auto it = config.begin(); it != config.end(); ++it) {
        const QString name = aliases().value(it.key(), it.key());
        if (!VllmConfigExporter::requiredKeys().contains(name) && !optionalKeys().contains(name))
            return Error{QStringLiteral("%1: '%2' is no parameter of vLLM's fused MoE kernel; vLLM passes every field of an "
                                        "entry to the kernel").arg(who, it.key())};
        const double d = it.value().toDouble(std::nan(""));
        // Bounded before the conversion: 1e30 became -2^63 and was written into the file as such.
        if (!it.value().isDouble() || std::floor(d) != d || d < 1 || d > double(std::numeric_limits<int>::max()))
            return Error{QStringLiteral("%1: '%2' = %3 is not a positive integer (at most 2^31 - 1)").arg(who, it.key(), jsonText(it.value()))};
        if (values.contains(name))
            return Error{QStringLiteral("%1: '%2' is given twice (as %2 and an alias)").arg(who, name)};
        values.insert(name, qint64(d));
    }
    VllmFields out;
    for (const QString& k : VllmConfigExporter::requiredKeys()) {
        if (!values.contains(k))
            return Error{QStringLiteral("%1: the configuration has no '%2'; vLLM's kernel needs it").arg(who, k)};
        if (k.startsWith(QLatin1String("BLOCK_SIZE_")) && (!isPowerOfTwo(values[k]) || values[k] < 16))
            return Error{QStringLiteral("%1: %2 = %3; tl.dot needs a power of two >= 16").arg(who, k).arg(values[k])};
        if (k == QLatin1String("num_warps") && !isPowerOfTwo(values[k]))
            return Error{QStringLiteral("%1: num_warps = %2 is not a power of two").arg(who).arg(values[k])};
        out.append({k, values[k]});
    }
    for (const QString& k : optionalKeys())
        if (values.contains(k))
            out.append({k, values[k]});
    return out;
}

QByteArray VllmConfigExporter::bodyText(const QMap<qint64, VllmFields>& body, const QString& tritonVersion)
{
    QStringList members;
    if (!tritonVersion.isEmpty())
        members.append(QStringLiteral("    \"triton_version\": ") + python::jsonString(tritonVersion));
    for (auto it = body.begin(); it != body.end(); ++it) {
        QStringList fields;
        for (const auto& [k, v] : it.value())
            fields.append(QStringLiteral("        \"%1\": %2").arg(k).arg(v));
        members.append(QStringLiteral("    \"%1\": {\n%2\n    }").arg(it.key()).arg(fields.join(QStringLiteral(",\n"))));
    }
    return (QStringLiteral("{\n") + members.join(QStringLiteral(",\n")) + QStringLiteral("\n}\n")).toUtf8();
}

bool VllmConfigExporter::isFusedMoeKernel(const QString& kernel)
{
    static const QRegularExpression word(QStringLiteral("(^|_)fused_moe(_|$)"));
    return word.match(kernel).hasMatch();
}

Result<VllmMoeProblem> VllmConfigExporter::moeProblem(const QString& kernel, const QString& problem)
{
    if (!isFusedMoeKernel(kernel))
        return Error{QStringLiteral("kernel '%1' is not the fused MoE kernel vLLM's configuration files are for (its name has no "
                                    "'fused_moe')").arg(clip(kernel))};
    const QJsonArray values = QJsonDocument::fromJson(problem.toUtf8()).array();
    auto integer = [&](int i, qint64& out) {
        const double d = values.at(i).toDouble(std::nan(""));
        out = qint64(d);
        return values.at(i).isDouble() && std::floor(d) == d && d >= 1;
    };
    VllmMoeProblem p;
    if (values.size() != 6 || !integer(0, p.m) || !integer(1, p.experts) || !integer(2, p.n) || !integer(3, p.k)
        || !integer(4, p.topk) || !values.at(5).isString())
        return Error{QStringLiteral("problem '%1' is not a fused-MoE problem [M, E, N, K, topk, \"dtype\"]").arg(clip(problem))};
    p.dtype = values.at(5).toString();
    return p;
}

Result<void> VllmConfigExporter::checkLayer(const VllmMoeTarget& t, const VllmMoeProblem& layer)
{
    if (layer.experts != t.experts)
        return Error{QStringLiteral("E: the session tuned %1 experts, the file is for E=%2").arg(layer.experts).arg(t.experts)};
    // The name's N is the intermediate size per shard; vLLM doubles it for int4_w4a16 (packed weights).
    const qint64 n = t.dtype == QLatin1String("int4_w4a16") ? 2 * layer.n : layer.n;
    if (n != t.n)
        return Error{QStringLiteral("N: the session tuned N=%1, the file is for N=%2").arg(layer.n).arg(t.n)};
    static const QStringList half{QStringLiteral("fp16"), QStringLiteral("float16"), QStringLiteral("bf16"), QStringLiteral("bfloat16")};
    const bool same = t.dtype.isEmpty() ? half.contains(layer.dtype)
                    : t.dtype == QLatin1String("float32") ? (layer.dtype == QLatin1String("fp32") || layer.dtype == QLatin1String("float32"))
                                                          : layer.dtype == t.dtype;
    if (!same)
        return Error{QStringLiteral("dtype: the session tuned %1, the file is for %2").arg(clip(layer.dtype), t.dtype.isEmpty() ? QStringLiteral("fp16/bf16 (no dtype)") : t.dtype)};
    return {};
}

QStringList VllmConfigExporter::requiredKeys()
{
    return {QStringLiteral("BLOCK_SIZE_M"), QStringLiteral("BLOCK_SIZE_N"), QStringLiteral("BLOCK_SIZE_K"),
            QStringLiteral("GROUP_SIZE_M"), QStringLiteral("num_warps"),    QStringLiteral("num_stages")};
}

QString VllmConfigExporter::deviceNameForFile(const QString& deviceName)
{
    QString name = deviceName;
    name.replace(QLatin1Char(' '), QLatin1Char('_'));
    if (name.split(QLatin1Char('_')).contains(QLatin1String("H200")))
        return QStringLiteral("NVIDIA_H200");
    return name;
}

Result<QString> VllmConfigExporter::fileName(const VllmMoeTarget& t)
{
    if (t.experts < 1)
        return Error{QStringLiteral("E: expected the number of experts (>= 1), got %1").arg(t.experts)};
    if (t.n < 1)
        return Error{QStringLiteral("N: expected the intermediate size per shard (>= 1), got %1").arg(t.n)};
    if (t.deviceName.trimmed().isEmpty())
        return Error{QStringLiteral("device_name: missing (the name NVML or torch.cuda.get_device_name() reports)")};
    if (t.deviceName.contains(QLatin1Char('/')) || t.deviceName.contains(QLatin1Char('\\'))
        || t.deviceName != t.deviceName.trimmed())
        return Error{QStringLiteral("device_name: '%1' cannot be part of a file name vLLM finds").arg(t.deviceName)};
    QString name = QStringLiteral("E=%1,N=%2,device_name=%3").arg(t.experts).arg(t.n).arg(deviceNameForFile(t.deviceName));
    if (!t.dtype.isEmpty()) {
        static const QStringList halfNames{QStringLiteral("float16"), QStringLiteral("fp16"), QStringLiteral("half"),
                                           QStringLiteral("bfloat16"), QStringLiteral("bf16")};
        if (halfNames.contains(t.dtype))
            return Error{QStringLiteral("dtype: vLLM looks up %1 configurations without a dtype in the name; leave dtype "
                                        "empty").arg(t.dtype)};
        if (!knownDtypes().contains(t.dtype))
            return Error{QStringLiteral("dtype: '%1' is none of the names vLLM looks up (%2)").arg(t.dtype, knownDtypes().join(QStringLiteral(", ")))};
        name += QStringLiteral(",dtype=") + t.dtype;
    }
    if (!t.blockShape.isEmpty()) {
        if (t.blockShape.size() != 2 || t.blockShape[0] < 1 || t.blockShape[1] < 1)
            return Error{QStringLiteral("block_shape: expected two positive integers [block_n, block_k]; vLLM drops a shape "
                                        "with a zero and would look for another file")};
        if (t.dtype.isEmpty() || t.dtype == QLatin1String("float32"))
            return Error{QStringLiteral("block_shape: only block-quantised layers (a quantised dtype) look up a block_shape")};
        name += QStringLiteral(",block_shape=[%1,%2]").arg(t.blockShape[0]).arg(t.blockShape[1]);
    }
    return QString(name + QStringLiteral(".json"));
}

Result<QMap<qint64, VllmFields>> VllmConfigExporter::collect(const QVector<VllmEntry>& entries, const QString& fileDevice,
                                                             QString (*deviceForFile)(const QString&), const QString& consumer)
{
    if (entries.isEmpty())
        return Error{QStringLiteral("nothing to export: no tuned batch size")};
    QMap<qint64, VllmFields> body;
    QMap<qint64, QString> origins;
    for (const VllmEntry& e : entries) {
        const QString who = e.origin.isEmpty() ? QStringLiteral("M=%1").arg(e.m) : e.origin;
        if (e.m < 1)
            return Error{QStringLiteral("%1: M = %2; %3 keys are batch sizes >= 1").arg(who).arg(e.m).arg(consumer)};
        if (e.measurement.status != Status::Ok || !std::isfinite(e.measurement.objectiveMs))
            return Error{QStringLiteral("%1: the configuration %2 has status '%3'; only ok configurations can be exported")
                             .arg(who, configText(e.config), statusName(e.measurement.status))};
        if (!TuningLadder::isExportable(e.measurement))
            return Error{QStringLiteral("%1: the configuration %2 was never verified against the reference output; only "
                                        "verified configurations can be exported").arg(who, configText(e.config))};
        if (deviceForFile(e.deviceName) != deviceForFile(fileDevice))
            return Error{QStringLiteral("%1: measured on '%2', but the file is for '%3': %4 on that GPU would not load it")
                             .arg(who, e.deviceName, fileDevice, consumer)};
        if (origins.contains(e.m))
            return Error{QStringLiteral("%1: M = %2 is already given by %3").arg(who).arg(e.m).arg(origins.value(e.m))};
        auto config = entryFields(e.config, who);
        if (!config)
            return Error{config.error()};
        body.insert(e.m, config.value());
        origins.insert(e.m, who);
    }
    return body;
}

Result<void> VllmConfigExporter::checkReadBack(const QMap<qint64, VllmFields>& body, const QMap<qint64, QJsonObject>& back,
                                               const QString& name)
{
    if (back.size() != body.size())
        return Error{QStringLiteral("%1: %2 entries written but %3 read back").arg(name).arg(body.size()).arg(back.size())};
    for (auto it = body.begin(); it != body.end(); ++it)
        for (const auto& [k, v] : it.value())
            if (back.value(it.key()).value(k).toDouble() != double(v))
                return Error{QStringLiteral("%1: M=%2 %3 does not read back").arg(name).arg(it.key()).arg(k)};
    return {};
}

Result<QByteArray> VllmConfigExporter::render(const VllmMoeTarget& t, const QVector<VllmEntry>& entries)
{
    const auto name = fileName(t);
    if (!name)
        return Error{name.error()};
    auto body = collect(entries, t.deviceName, &deviceNameForFile, QStringLiteral("vLLM"));
    if (!body)
        return Error{body.error()};
    const QByteArray json = bodyText(body.value(), t.tritonVersion);
    // Read back as vLLM does and check every entry survived unchanged.
    auto back = parse(json, name.value());
    if (!back)
        return Error{back.error()};
    if (auto same = checkReadBack(body.value(), back.value(), name.value()); !same)
        return Error{same.error()};
    return json;
}

Result<QMap<qint64, QJsonObject>> VllmConfigExporter::parse(const QByteArray& json, const QString& source)
{
    auto root = parseJsonObject(json, source);
    if (!root)
        return Error{root.error()};
    QJsonObject o = root.value();
    o.remove(QStringLiteral("triton_version"));
    static const QRegularExpression intRe(QStringLiteral("^\\s*[+-]?\\d+(_\\d+)*\\s*$")); // Python int()
    QMap<qint64, QJsonObject> out;
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!intRe.match(it.key()).hasMatch())
            return Error{QStringLiteral("%1: key '%2': vLLM's int() fails on it").arg(source, clip(it.key()))};
        QString digits = it.key().trimmed();
        digits.remove(QLatin1Char('_'));
        if (!it.value().isObject())
            return Error{QStringLiteral("%1: \"%2\": expected an object").arg(source, clip(it.key()))};
        const QJsonObject config = it.value().toObject();
        for (const QString& k : requiredKeys())
            if (!config.value(k).isDouble())
                return Error{QStringLiteral("%1: \"%2\": '%3' missing or not a number").arg(source, it.key(), k)};
        bool fits = false;
        const qint64 m = digits.toLongLong(&fits);
        if (!fits) // Python's int() takes any size; a batch size beyond 64 bits is none we can look up
            return Error{QStringLiteral("%1: key '%2': not a batch size this program can read (beyond 64 bits)").arg(source, clip(it.key()))};
        out.insert(m, config); // later duplicates win, as in a Python dict
    }
    if (out.isEmpty())
        return Error{QStringLiteral("%1: no entry").arg(source)};
    return out;
}

qint64 VllmConfigExporter::nearestKey(const QMap<qint64, QJsonObject>& configs, qint64 m)
{
    // |k - m| in unsigned arithmetic: exact for any two 64-bit keys, where k - m itself can overflow.
    auto distance = [m](qint64 k) { return k >= m ? quint64(k) - quint64(m) : quint64(m) - quint64(k); };
    qint64 best = configs.isEmpty() ? -1 : configs.firstKey();
    for (auto it = configs.keyBegin(); it != configs.keyEnd(); ++it)
        if (distance(*it) < distance(best))
            best = *it;
    return best;
}

Result<QString> VllmConfigExporter::write(const VllmMoeTarget& target, const QVector<VllmEntry>& entries,
                                          const QString& dir, bool force)
{
    const auto name = fileName(target);
    if (!name)
        return Error{name.error()};
    const auto json = render(target, entries);
    if (!json)
        return Error{json.error()};
    const QString path = QDir(dir).filePath(name.value());
    // Checked before the folder is created: a refusal leaves nothing behind.
    auto plan = SafeFile::checkBelow(dir, name.value(), json.value(), force);
    if (!plan)
        return Error{plan.error()};
    if (plan.value() == SafeFile::Plan::Keep)
        return path;
    if (!QDir().mkpath(dir))
        return Error{QStringLiteral("%1: cannot create the directory").arg(dir)};
    if (auto written = SafeFile::write(path, json.value(), force); !written)
        return Error{written.error()};
    return path;
}

} // namespace dv
