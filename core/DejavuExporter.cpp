#include "DejavuExporter.h"

#include "JsonUtil.h"
#include "PythonText.h"
#include "SafeFile.h"

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

/// (major, minor) of a version such as "3.6.0" or "3.3.1+git1234"; (-1, -1) if unreadable.
std::pair<int, int> majorMinor(const QString& version)
{
    static const QRegularExpression re(QStringLiteral("^(\\d+)\\.(\\d+)"));
    const auto m = re.match(version);
    if (!m.hasMatch())
        return {-1, -1};
    return {m.captured(1).toInt(), m.captured(2).toInt()};
}

/// The launch options `str(triton.Config)` appends after the kwargs, in order, with their
/// defaults (dejavu-cache-format.md §2 table); empty for a Triton we know nothing about.
QVector<QPair<QString, QJsonValue>> fixedFields(const QString& tritonVersion)
{
    const auto [major, minor] = majorMinor(tritonVersion);
    const QJsonValue none(QJsonValue::Null);
    auto f = [](const char* name, QJsonValue v) { return qMakePair(QString::fromLatin1(name), v); };
    if (major == 2 && minor == 2)
        return {f("num_warps", 4), f("num_ctas", 1), f("num_stages", 2), f("enable_warp_specialization", false),
                f("enable_persistent", false)};
    if (major == 3 && minor <= 1)
        return {f("num_warps", 4), f("num_ctas", 1), f("num_stages", 2), f("maxnreg", none)};
    if (major == 3 && minor <= 3)
        return {f("num_warps", 4), f("num_ctas", 1), f("num_stages", minor == 3 ? 3 : 2), f("num_buffers_warp_spec", 0),
                f("num_consumer_groups", 0), f("reg_dec_producer", 0), f("reg_inc_consumer", 0), f("maxnreg", none)};
    if (major == 3 || major > 3)
        return {f("num_warps", 4), f("num_ctas", 1), f("num_stages", 3), f("maxnreg", none)};
    return {};
}

/// Python str() of a JSON value as Triton prints a config value.
QString pyStr(const QJsonValue& v)
{
    if (v.isNull() || v.isUndefined())
        return QStringLiteral("None");
    if (v.isBool())
        return v.toBool() ? QStringLiteral("True") : QStringLiteral("False");
    if (v.isString())
        return v.toString();
    const double d = v.toDouble();
    if (std::floor(d) == d && std::fabs(d) < 9.007199254740992e15)
        return QString::number(qint64(d));
    return python::floatRepr(d);
}

/// distutils.util.strtobool, or nullopt where it raises.
std::optional<bool> strtobool(const QString& s)
{
    const QString l = s.toLower();
    for (const char* t : {"y", "yes", "t", "true", "on", "1"})
        if (l == QLatin1String(t))
            return true;
    for (const char* t : {"n", "no", "f", "false", "off", "0"})
        if (l == QLatin1String(t))
            return false;
    return std::nullopt;
}

/// Python int() of a string: optional sign, digits, surrounding whitespace, '_' between digits.
std::optional<qint64> pyInt(const QString& s)
{
    static const QRegularExpression re(QStringLiteral("^\\s*[+-]?\\d+(_\\d+)*\\s*$"));
    if (!re.match(s).hasMatch())
        return std::nullopt;
    QString t = s.trimmed();
    t.remove(QLatin1Char('_'));
    bool ok = false;
    const qint64 v = t.toLongLong(&ok);
    return ok ? std::optional<qint64>(v) : std::nullopt;
}

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

QString DejavuExporter::keyString(const QStringList& elements) { return python::tupleOfStr(elements); }

QStringList DejavuExporter::parseKeyString(const QString& key, bool ignoreDtypes)
{
    QStringList out;
    if (key.size() < 2)
        return out;
    for (QString piece : key.mid(1, key.size() - 2).split(QStringLiteral(", "))) {
        if (piece.startsWith(QLatin1Char('\'')) || piece.startsWith(QLatin1Char('"')))
            piece = piece.mid(1, piece.size() - 2);
        if (ignoreDtypes && piece.contains(QLatin1String("torch.")))
            continue;
        out.append(piece);
    }
    return out;
}

Result<QJsonObject> DejavuExporter::parseConfigString(const QString& config)
{
    QJsonObject out;
    for (const QString& piece : config.split(QStringLiteral(", "))) {
        const QStringList kv = piece.split(QStringLiteral(": "));
        if (kv.size() != 2)
            return Error{QStringLiteral("'%1' is not \"name: value\"").arg(piece)};
        const QString& name = kv[0];
        const QString& value = kv[1];
        if (name == QLatin1String("enable_persistent"))
            continue;
        if (name == QLatin1String("num_warps") || name == QLatin1String("num_stages") || name == QLatin1String("num_ctas")) {
            const auto v = pyInt(value);
            if (!v)
                return Error{QStringLiteral("%1: int('%2') fails, the import would raise").arg(name, value)};
            out.insert(name, double(*v));
        } else if (name == QLatin1String("maxnreg")) {
            const auto v = pyInt(value);
            out.insert(name, v ? QJsonValue(double(*v)) : QJsonValue(QJsonValue::Null));
        } else if (name == QLatin1String("enable_warp_specialization")) {
            const auto b = strtobool(value);
            if (!b)
                return Error{QStringLiteral("%1: strtobool('%2') fails, the import would raise").arg(name, value)};
            out.insert(name, *b);
        } else if (name == QLatin1String("pre_hook")) {
            out.insert(name, value);
        } else if (const auto v = pyInt(value)) {
            out.insert(name, double(*v));
        } else if (const auto b = strtobool(value)) {
            out.insert(name, *b);
        } else {
            out.insert(name, value); // dejavu warns and keeps the raw string
        }
    }
    return out;
}

Result<QString> DejavuExporter::configString(const QVector<QPair<QString, QJsonValue>>& kwargs, const QJsonObject& options,
                                             const QString& tritonVersion)
{
    const auto fixed = fixedFields(tritonVersion);
    if (fixed.isEmpty())
        return Error{QStringLiteral("triton_version: no known str(triton.Config) layout for Triton '%1'").arg(tritonVersion)};
    QStringList parts;
    for (const auto& [k, v] : kwargs)
        parts.append(k + QStringLiteral(": ") + pyStr(v));
    QSet<QString> known;
    for (const auto& [k, v] : fixed) {
        known.insert(k);
        parts.append(k + QStringLiteral(": ") + pyStr(options.contains(k) ? options.value(k) : v));
    }
    for (auto it = options.begin(); it != options.end(); ++it)
        if (!known.contains(it.key()) && it.key() != QLatin1String("ir_override"))
            return Error{QStringLiteral("'%1' is not a triton.Config option of Triton %2").arg(it.key(), tritonVersion)};
    return parts.join(QStringLiteral(", "));
}

Result<QStringList> DejavuExporter::configSpaceStrings(const QVector<QPair<QString, QVector<QJsonValue>>>& kwargs,
                                                       const QJsonObject& options, const QString& tritonVersion)
{
    const auto fixed = fixedFields(tritonVersion);
    if (fixed.isEmpty())
        return Error{QStringLiteral("triton_version: no known str(triton.Config) layout for Triton '%1'").arg(tritonVersion)};
    // The platform parameters in dir() order (alphabetical), each a list defaulting to [default].
    QStringList names;
    for (const auto& [k, v] : fixed)
        if (k != QLatin1String("enable_persistent") && k != QLatin1String("enable_warp_specialization"))
            names.append(k);
    std::sort(names.begin(), names.end());
    for (auto it = options.begin(); it != options.end(); ++it)
        if (!names.contains(it.key()))
            return Error{QStringLiteral("config_space: '%1' is not a launch option of Triton %2").arg(it.key(), tritonVersion)};
    QVector<QVector<QJsonValue>> optionLists;
    for (const QString& n : names) {
        QVector<QJsonValue> values;
        if (options.contains(n)) {
            for (const QJsonValue& v : options.value(n).toArray())
                values.append(v);
            if (values.isEmpty())
                return Error{QStringLiteral("config_space: '%1' has no values").arg(n)};
        } else {
            for (const auto& [k, v] : fixed)
                if (k == n)
                    values.append(v);
        }
        optionLists.append(values);
    }
    auto product = [](const QVector<QVector<QJsonValue>>& lists) {
        QVector<QVector<QJsonValue>> out{{}};
        for (const auto& list : lists) {
            QVector<QVector<QJsonValue>> next;
            for (const auto& prefix : out)
                for (const QJsonValue& v : list) {
                    auto row = prefix;
                    row.append(v);
                    next.append(row);
                }
            out = next;
        }
        return out;
    };
    QVector<QVector<QJsonValue>> kwargLists;
    for (const auto& [k, values] : kwargs) {
        if (values.isEmpty())
            return Error{QStringLiteral("config_space: '%1' has no values").arg(k)};
        kwargLists.append(values);
    }
    QStringList out;
    for (const auto& kw : product(kwargLists)) {
        QVector<QPair<QString, QJsonValue>> pairs;
        for (int i = 0; i < kwargs.size(); ++i)
            pairs.append({kwargs[i].first, kw[i]});
        for (const auto& opt : product(optionLists)) {
            QJsonObject o;
            for (int i = 0; i < names.size(); ++i)
                o.insert(names[i], opt[i]);
            auto s = configString(pairs, o, tritonVersion);
            if (!s)
                return Error{s.error()};
            out.append(s.value());
        }
    }
    return out;
}

Result<DejavuCacheFile> DejavuExporter::render(const DejavuDeployment& d, const QVector<DejavuEntry>& entries)
{
    DejavuCacheFile file;
    auto identifier = storageIdentifier(d);
    if (!identifier)
        return Error{identifier.error()};
    file.storageIdentifier = identifier.value();
    const auto [tMajor, tMinor] = majorMinor(d.tritonVersion);
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

    // Every config string must parse as the library parses it and carry this Triton's fields.
    const auto fixed = fixedFields(d.tritonVersion);
    QVector<QJsonObject> restored;
    for (int i = 0; i < d.configs.size(); ++i) {
        auto parsed = parseConfigString(d.configs[i]);
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
        const QString key = keyString(runtime);
        if (runtime.size() == 1)
            return Error{QStringLiteral("%1: the key %2 has one element; triton-dejavu restores it as (\"%3'\",) and never "
                                        "matches it (add the tensor dtypes, i.e. ignore_dtypes off, or a second key)")
                             .arg(who, key, runtime.first())};
        if (parseKeyString(key, d.ignoreDtypes) != runtime)
            return Error{QStringLiteral("%1: the key %2 does not read back as written (a value containing \", \", a quote or a "
                                        "backslash); triton-dejavu would never match it").arg(who, key)};
        if (seen.contains(key))
            return Error{QStringLiteral("%1: the key %2 appears twice").arg(who, key)};
        seen.insert(key);

        // The config string that restores to exactly the measured configuration.
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
