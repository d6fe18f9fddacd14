#include "export/DejavuExporter.h"

#include "base/JsonUtil.h"
#include "base/SafeFile.h"
#include "export/PythonText.h"
#include "export/TritonConfigText.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>

#include <cmath>

namespace dv {

namespace {

/// Equality of a measured config value and a restored one, as the kernel launch would see them.
bool sameValue(const QJsonValue& measured, const QJsonValue& restored)
{
    if (measured.isBool() || restored.isBool())
        return measured.isBool() && restored.isBool() ? measured.toBool() == restored.toBool()
                                                      : measured.isDouble() && restored.isBool()
                                                            && measured.toDouble() == (restored.toBool() ? 1 : 0);
    if (measured.isDouble() && restored.isDouble())
        return measured.toDouble() == restored.toDouble();
    if (measured.isNull() || restored.isNull())
        return measured.isNull() && restored.isNull();
    return measured.isString() && restored.isString() && measured.toString() == restored.toString();
}

bool isDefaultOption(const QString& name, const QJsonValue& v)
{
    if (name == QLatin1String("num_ctas"))
        return v.toDouble() == 1;
    if (name == QLatin1String("maxnreg") || name == QLatin1String("ir_override"))
        return v.isNull();
    for (const char* zero : {"num_buffers_warp_spec", "num_consumer_groups", "reg_dec_producer", "reg_inc_consumer"})
        if (name == QLatin1String(zero))
            return v.toDouble() == 0;
    return false;
}

QString configText(const QJsonObject& config)
{
    return QString::fromUtf8(QJsonDocument(config).toJson(QJsonDocument::Compact));
}

QString indentList(const QStringList& items, const QString& pad)
{
    if (items.isEmpty())
        return QStringLiteral("[]");
    return QStringLiteral("[\n") + pad + QStringLiteral("    ") + items.join(QStringLiteral(",\n") + pad + QStringLiteral("    "))
           + QLatin1Char('\n') + pad + QLatin1Char(']');
}

QString indentObject(const QVector<QPair<QString, QString>>& members, const QString& pad)
{
    if (members.isEmpty())
        return QStringLiteral("{}");
    QStringList lines;
    for (const auto& [k, v] : members)
        lines.append(pad + QStringLiteral("    ") + python::jsonString(k) + QStringLiteral(": ") + v);
    return QStringLiteral("{\n") + lines.join(QStringLiteral(",\n")) + QLatin1Char('\n') + pad + QLatin1Char('}');
}

QString pyBool(bool b) { return b ? QStringLiteral("True") : QStringLiteral("False"); }

// Every config string must parse as the library parses it and carry this Triton's fields: what each
// restores to.
Result<QVector<QJsonObject>> restoredConfigs(const DejavuDeployment& d)
{
    const auto fixed = TritonConfigText::launchOptions(d.tritonVersion);
    QVector<QJsonObject> restored;
    for (int i = 0; i < d.configs.size(); ++i) {
        auto parsed = TritonConfigText::parseConfigString(d.configs[i]);
        if (!parsed)
            return Error{QStringLiteral("configs[%1]: %2").arg(i).arg(parsed.error())};
        QStringList names;
        for (const QString& piece : d.configs[i].split(QStringLiteral(", ")))
            names.append(piece.section(QStringLiteral(": "), 0, 0));
        if (!fixed.isEmpty()) {
            QStringList expected;
            for (const auto& f : fixed)
                expected.append(f.first);
            if (names.mid(names.size() - expected.size()) != expected)
                return Error{QStringLiteral("configs[%1]: '%2' does not end with the fields str(triton.Config) prints on "
                                            "Triton %3 (%4); were the strings taken from another Triton?")
                                 .arg(i).arg(d.configs[i], d.tritonVersion, expected.join(QStringLiteral(", ")))};
        }
        restored.append(parsed.value());
    }
    return restored;
}

// The index of the config string that restores to exactly the measured configuration.
Result<int> matchingConfig(const DejavuEntry& e, const QString& who, const QVector<QJsonObject>& restored,
                           const DejavuDeployment& d)
{
    int match = -1;
    for (auto it = e.config.begin(); it != e.config.end(); ++it) {
        if (it.value().isDouble() && std::floor(it.value().toDouble()) != it.value().toDouble())
            return Error{QStringLiteral("%1: '%2' = %3 is a float; triton-dejavu restores float values as strings").arg(who, it.key(), jsonText(it.value()))};
    }
    for (int i = 0; i < restored.size(); ++i) {
        bool same = true;
        for (auto it = e.config.begin(); same && it != e.config.end(); ++it)
            same = restored[i].contains(it.key()) && sameValue(it.value(), restored[i].value(it.key()));
        for (auto it = restored[i].begin(); same && it != restored[i].end(); ++it)
            same = e.config.contains(it.key()) || isDefaultOption(it.key(), it.value());
        if (!same)
            continue;
        if (match >= 0)
            return Error{QStringLiteral("%1: the configuration %2 matches configs[%3] and configs[%4]").arg(who, configText(e.config)).arg(match).arg(i)};
        match = i;
    }
    if (match < 0)
        return Error{QStringLiteral("%1: the configuration %2 is none of the deployment's %3 configs").arg(who, configText(e.config)).arg(d.configs.size())};
    return match;
}

} // namespace

QString DejavuExporter::sha256Hex(const QString& text)
{
    return QString::fromLatin1(QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha256).toHex());
}

Result<QString> DejavuExporter::storageIdentifier(const DejavuDeployment& d)
{
    static const QRegularExpression versionRe(QStringLiteral("^(\\d+)\\.(\\d+)"));
    const auto vm = versionRe.match(d.dejavuVersion);
    if (!vm.hasMatch())
        return Error{QStringLiteral("dejavu_version: '%1' is not a version number").arg(d.dejavuVersion)};
    if (vm.captured(1) != QLatin1String("0") || vm.captured(2) != QLatin1String("7"))
        return Error{QStringLiteral("dejavu_version: %1 is not supported: only the triton-dejavu 0.7.x storage format is "
                                    "implemented (dejavu-cache-format.md)").arg(d.dejavuVersion)};
    // major + minor / 10**len(minor_str), printed as a Python float.
    const QString minor = vm.captured(2);
    const double mm = vm.captured(1).toDouble() + minor.toDouble() / std::pow(10.0, double(minor.size()));
    if (d.tritonVersion.isEmpty())
        return Error{QStringLiteral("triton_version: missing (triton.__version__ of the deployment)")};
    if (d.runtime != QLatin1String("cuda") && d.runtime != QLatin1String("rocm"))
        return Error{QStringLiteral("runtime: expected \"cuda\" or \"rocm\", got '%1'").arg(d.runtime)};
    QString version = d.runtimeVersion;
    if (version.isEmpty() && !d.toolOutput.isEmpty()) {
        const QRegularExpression re(d.runtime == QLatin1String("cuda") ? QStringLiteral("release (\\d+\\.\\d+)")
                                                                        : QStringLiteral("roc-(\\d+\\.\\d+.\\d+)"));
        const auto m = re.match(d.toolOutput);
        if (m.hasMatch())
            version = m.captured(1);
    }
    if (version.isEmpty() && !d.torchRuntimeVersion.isEmpty())
        version = QStringLiteral("torch_") + d.torchRuntimeVersion;
    if (version.isEmpty())
        return Error{QStringLiteral("runtime_version: missing: give runtime_version, tool_output (the `%1 --version` "
                                    "output) or torch_runtime_version")
                         .arg(d.runtime == QLatin1String("cuda") ? QStringLiteral("ptxas") : QStringLiteral("amdgpu-arch"))};
    if (d.gpuName.trimmed().isEmpty())
        return Error{QStringLiteral("gpu_name: missing (torch.cuda.get_device_name() on the deployment)")};
    QString gpu = d.gpuName;
    gpu.replace(QLatin1Char(' '), QLatin1Char('_')).replace(QLatin1Char('/'), QLatin1Char('_'));
    return QStringLiteral("dejavu_%1/triton_%2/%3_%4/gpu_%5")
        .arg(python::floatRepr(mm), d.tritonVersion, d.runtime, version, gpu);
}

QString DejavuExporter::paramString(const DejavuAutotuneParams& p)
{
    QString s = QStringLiteral("autotuner params: warmup %1 rep %2 cuda_graphs %3 quantiles %4")
                    .arg(p.warmup)
                    .arg(p.rep)
                    .arg(pyBool(p.useCudaGraph),
                         p.quantiles ? python::floatList(*p.quantiles) : QStringLiteral("None"));
    if (p.hashSearchParams)
        s += QStringLiteral(" use_bo %1 use_random %2 max_search_n %3 max_search_t %4")
                 .arg(pyBool(p.useBo), pyBool(p.useRandomSearch),
                      p.maxSearchN ? QString::number(*p.maxSearchN) : QStringLiteral("None"))
                 .arg(p.searchMaxSearchT);
    return s;
}

Result<QString> DejavuExporter::functionName(const QString& signature)
{
    // str(jit_fn).split(":")[1][:-1]
    const QStringList parts = signature.split(QLatin1Char(':'));
    if (parts.size() < 2 || parts[1].size() < 2 || !signature.endsWith(QLatin1Char(')')))
        return Error{QStringLiteral("kernel.signature: '%1' is not str(jit_fn) (expected \"JITFunction(module:name)\")").arg(signature)};
    return parts[1].chopped(1);
}

Result<DejavuCacheFile> DejavuExporter::render(const DejavuDeployment& d, const QVector<DejavuEntry>& entries)
{
    DejavuCacheFile file;
    auto identifier = storageIdentifier(d);
    if (!identifier)
        return Error{identifier.error()};
    file.storageIdentifier = identifier.value();
    const auto [tMajor, tMinor] = TritonConfigText::majorMinor(d.tritonVersion);
    if (tMajor < 3 || (tMajor == 3 && tMinor >= 4))
        file.warnings.append(QStringLiteral("triton-dejavu 0.7.5 does not import on Triton %1 (it needs 3.0-3.3); the "
                                            "deployment needs a patched triton-dejavu").arg(d.tritonVersion));
    auto fn = functionName(d.signature);
    if (!fn)
        return Error{fn.error()};
    if (d.tag.isEmpty() || d.tag.contains(QLatin1Char('/')))
        return Error{QStringLiteral("tag: '%1' cannot be a directory name").arg(d.tag)};
    if (d.keys.isEmpty())
        return Error{QStringLiteral("key: the kernel has no autotune key")};
    for (const QString& k : d.keys)
        if (!d.argNames.isEmpty() && !d.argNames.contains(k))
            return Error{QStringLiteral("key: '%1' is not an argument of %2 (%3)").arg(k, fn.value(), d.argNames.join(QStringLiteral(", ")))};
    if (d.configs.size() <= 1)
        return Error{QStringLiteral("configs: the kernel has %1 config(s); triton-dejavu consults its cache only when there "
                                    "are at least two, so the file would never be read").arg(d.configs.size())};
    if (d.source.isEmpty() && d.weakFnHash.isEmpty())
        return Error{QStringLiteral("kernel.src: missing (jit_fn.src, or kernel.weak_fn_hash)")};

    auto configs = restoredConfigs(d);
    if (!configs)
        return Error{configs.error()};
    const QVector<QJsonObject> restored = configs.value();

    const QString weak = d.weakFnHash.isEmpty() ? sha256Hex(d.source) : d.weakFnHash;
    file.paramString = paramString(d.params);
    file.kernelConfigsString = QStringLiteral("|");
    for (const QString& c : d.configs)
        file.kernelConfigsString += c + QLatin1Char('|');
    file.folder = QStringLiteral("%1/autotune_config-%2/code_version-%3/tune_features-%4/kernel_configs-%5/%6")
                      .arg(fn.value(), sha256Hex(file.paramString), sha256Hex(weak),
                           sha256Hex(d.keys.join(QLatin1Char('|'))), sha256Hex(file.kernelConfigsString), d.tag);

    if (entries.isEmpty())
        return Error{QStringLiteral("nothing to export: no tuned entry")};
    QVector<QPair<QString, QString>> cache, timings;
    QSet<QString> seen;
    double benchSeconds = 0.0;
    for (const DejavuEntry& e : entries) {
        const QString who = e.origin.isEmpty() ? QStringLiteral("entry") : e.origin;
        const Measurement& m = e.measurement;
        if (m.status != Status::Ok)
            return Error{QStringLiteral("%1: the configuration %2 has status '%3'; only ok configurations can be exported")
                             .arg(who, configText(e.config), statusName(m.status))};
        if (!std::isfinite(m.objectiveMs))
            return Error{QStringLiteral("%1: the configuration %2 has no finite time").arg(who, configText(e.config))};
        if (m.extra.value(QLatin1String("verified")) == QJsonValue(false))
            return Error{QStringLiteral("%1: the configuration %2 was never verified against the reference output; only "
                                        "verified configurations can be exported").arg(who, configText(e.config))};
        if (e.deviceName != d.gpuName)
            return Error{QStringLiteral("%1: measured on '%2' but gpu_name is '%3': triton-dejavu on that GPU looks in "
                                        "another folder, and this one would be used on a GPU it was not tuned for")
                             .arg(who, e.deviceName, d.gpuName)};
        if (e.keyValues.size() != d.keys.size())
            return Error{QStringLiteral("%1: %2 key value(s) for the key [%3]").arg(who).arg(e.keyValues.size()).arg(d.keys.join(QStringLiteral(", ")))};
        QStringList runtime = e.keyValues;
        if (!d.ignoreDtypes)
            runtime += e.dtypes.isEmpty() ? d.argDtypes : e.dtypes;
        const QString key = TritonConfigText::keyString(runtime);
        if (runtime.size() == 1)
            return Error{QStringLiteral("%1: the key %2 has one element; triton-dejavu restores it as (\"%3'\",) and never "
                                        "matches it (add the tensor dtypes, i.e. ignore_dtypes off, or a second key)")
                             .arg(who, key, runtime.first())};
        if (TritonConfigText::parseKeyString(key, d.ignoreDtypes) != runtime)
            return Error{QStringLiteral("%1: the key %2 does not read back as written (a value containing \", \", a quote or a "
                                        "backslash); triton-dejavu would never match it").arg(who, key)};
        if (seen.contains(key))
            return Error{QStringLiteral("%1: the key %2 appears twice").arg(who, key)};
        seen.insert(key);

        auto matched = matchingConfig(e, who, restored, d);
        if (!matched)
            return Error{matched.error()};
        const int match = matched.value();
        cache.append({key, python::jsonString(d.configs[match])});
        timings.append({key, indentList({python::floatRepr(m.objectiveMs)}, QStringLiteral("        "))});
        benchSeconds += e.benchSeconds;
    }

    QStringList keyItems;
    for (const QString& k : d.keys)
        keyItems.append(python::jsonString(k));
    const QVector<QPair<QString, QString>> timingsData{
        {QStringLiteral("labels"), indentList({python::jsonString(QStringLiteral("ms"))}, QStringLiteral("        "))},
        {QStringLiteral("rep_t_ms"), QString::number(d.params.rep)},
        {QStringLiteral("warmup_t_ms"), QString::number(d.params.warmup)},
        {QStringLiteral("cuda_graphs"), d.params.useCudaGraph ? QStringLiteral("true") : QStringLiteral("false")}};
    const QString pad = QStringLiteral("    ");
    const QVector<QPair<QString, QString>> top{
        {QStringLiteral("signature"), python::jsonString(d.signature)},
        {QStringLiteral("total_bench_time_s"), python::floatRepr(benchSeconds)},
        {QStringLiteral("evaluated_configs"), QString::number(d.configs.size())},
        {QStringLiteral("keys"), indentList(keyItems, pad)},
        {QStringLiteral("cache"), indentObject(cache, pad)},
        {QStringLiteral("timings"), indentObject(timings, pad)},
        {QStringLiteral("timings_data"), indentObject(timingsData, pad)}};
    file.json = indentObject(top, QString()).toUtf8();

    // Read the file back as the library does: the JSON must parse and every key must restore.
    auto back = parseJsonObject(file.json, file.relativePath());
    if (!back)
        return Error{back.error()};
    const QJsonObject backCache = back->value(QLatin1String("cache")).toObject();
    if (backCache.size() != entries.size())
        return Error{QStringLiteral("%1: %2 entries written but %3 read back").arg(file.relativePath()).arg(entries.size()).arg(backCache.size())};
    return file;
}

Result<QString> DejavuExporter::write(const DejavuCacheFile& file, const QString& root, bool force)
{
    const QString target = QDir(root).filePath(file.relativePath());
    // Every folder on the way and the file itself are checked before anything is created.
    auto plan = SafeFile::checkBelow(root, file.relativePath(), file.json, force);
    if (!plan)
        return Error{plan.error()};
    if (plan.value() == SafeFile::Plan::Keep)
        return target; // already there, byte for byte
    if (plan.value() == SafeFile::Plan::Replace) {
        if (auto written = SafeFile::write(target, file.json, force); !written)
            return Error{written.error()};
        return target;
    }

    // Find the first directory that does not exist yet; build it and everything below it in a
    // hidden temporary sibling, then rename it into place: the tree appears whole or not at all.
    const QStringList parts = QString(file.storageIdentifier + QLatin1Char('/') + file.folder).split(QLatin1Char('/'));
    if (!QDir().mkpath(root))
        return Error{QStringLiteral("%1: cannot create the directory").arg(root)};
    QString parent = QDir(root).absolutePath();
    int firstMissing = 0;
    while (firstMissing < parts.size() && QFileInfo(parent + QLatin1Char('/') + parts[firstMissing]).isDir())
        parent += QLatin1Char('/') + parts[firstMissing++];
    if (firstMissing < parts.size() && QFileInfo::exists(parent + QLatin1Char('/') + parts[firstMissing]))
        return Error{QStringLiteral("%1/%2: exists and is not a directory").arg(parent, parts[firstMissing])};
    if (firstMissing == parts.size()) {
        if (auto written = SafeFile::write(target, file.json, force); !written)
            return Error{written.error()};
        return target;
    }
    QTemporaryDir staging(parent + QStringLiteral("/.dejavu-export-XXXXXX"));
    if (!staging.isValid())
        return Error{QStringLiteral("%1: cannot create a temporary directory: %2").arg(parent, staging.errorString())};
    const QString rest = parts.mid(firstMissing).join(QLatin1Char('/'));
    if (!QDir(staging.path()).mkpath(rest))
        return Error{QStringLiteral("%1: cannot create %2").arg(staging.path(), rest)};
    QFile out(staging.path() + QLatin1Char('/') + rest + QStringLiteral("/cache.json"));
    if (!out.open(QIODevice::WriteOnly) || out.write(file.json) != file.json.size() || !out.flush())
        return Error{QStringLiteral("%1: cannot write: %2").arg(out.fileName(), out.errorString())};
    out.close();
    const QString from = staging.path() + QLatin1Char('/') + parts[firstMissing];
    const QString to = parent + QLatin1Char('/') + parts[firstMissing];
    if (!QDir().rename(from, to))
        return Error{QStringLiteral("%1: cannot move the new tree into place").arg(to)};
    return target;
}

} // namespace dv
