#include "export/TritonCacheExporter.h"

#include "base/JsonUtil.h"
#include "base/SafeFile.h"
#include "base/Statistics.h"
#include "export/PythonText.h"
#include "export/TuningLadder.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <limits>

namespace dv {

namespace {

// Triton's Config() defaults: a launch option missing from a session's configuration has them.
QString defaultOption(const QString& name)
{
    if (name == QLatin1String("num_warps"))
        return QStringLiteral("4");
    if (name == QLatin1String("num_stages"))
        return QStringLiteral("3");
    if (name == QLatin1String("num_ctas"))
        return QStringLiteral("1");
    return QStringLiteral("None");
}

// A value of str(Config) as the JSON value json.dumps writes for it; only what round-trips
// without doubt (str(Config) prints strings unquoted: 'None' and None look alike).
std::optional<QString> jsonOfPyText(const QString& text)
{
    if (text == QLatin1String("None"))
        return QStringLiteral("null");
    if (text == QLatin1String("True"))
        return QStringLiteral("true");
    if (text == QLatin1String("False"))
        return QStringLiteral("false");
    bool ok = false;
    const qint64 v = text.toLongLong(&ok);
    if (ok && QString::number(v) == text)
        return text;
    return std::nullopt;
}

// What the measured configuration's value prints as in str(Config).
std::optional<QString> pyTextOfJson(const QJsonValue& v)
{
    if (v.isBool())
        return v.toBool() ? QStringLiteral("True") : QStringLiteral("False");
    if (v.isNull())
        return QStringLiteral("None");
    if (v.isDouble()) {
        const double d = v.toDouble();
        if (std::floor(d) == d && std::abs(d) < 9.0e15)
            return QString::number(qint64(d));
    }
    return std::nullopt;
}

int versionNumber(const QString& version)
{
    const QStringList parts = version.split(QLatin1Char('.'));
    return parts.value(0).toInt() * 1000 + parts.value(1).toInt();
}

} // namespace

Result<TritonCacheDeployment> TritonCacheDeployment::fromJson(const QByteArray& json, const QString& source)
{
    auto doc = parseJsonObject(json, source);
    if (!doc)
        return Error{doc.error()};
    QJsonObject o = doc.value();
    QString where = source;
    if (o.value(QLatin1String("triton_cache")).isObject()) {
        const QJsonValue gpu = o.value(QLatin1String("gpu_name")); // deployment.py names the GPU once, at the top
        o = o.value(QLatin1String("triton_cache")).toObject();
        if (!o.contains(QLatin1String("gpu_name")) && gpu.isString())
            o.insert(QStringLiteral("gpu_name"), gpu);
        where += QStringLiteral(": triton_cache");
    }
    TritonCacheDeployment d;
    auto str = [&](const char* key, QString& out, bool required) -> Result<void> {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull()) {
            if (required)
                return Error{QStringLiteral("%1: missing field '%2'").arg(where, QLatin1String(key))};
            return {};
        }
        if (!v.isString())
            return Error{QStringLiteral("%1.%2: expected a string, got %3").arg(where, QLatin1String(key), jsonText(v))};
        out = v.toString();
        return {};
    };
    auto list = [&](const char* key, QStringList& out, bool required) -> Result<void> {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() && !required)
            return {};
        if (v.isUndefined())
            return Error{QStringLiteral("%1: missing field '%2'").arg(where, QLatin1String(key))};
        if (!v.isArray())
            return Error{QStringLiteral("%1: field '%2' must be a list of strings").arg(where, QLatin1String(key))};
        const QJsonArray a = v.toArray();
        for (int i = 0; i < a.size(); ++i) {
            if (!a[i].isString())
                return Error{QStringLiteral("%1.%2[%3]: expected a string, got %4").arg(where, QLatin1String(key)).arg(i).arg(jsonText(a[i]))};
            out.append(a[i].toString());
        }
        return {};
    };
    for (auto r : {str("triton_version", d.tritonVersion, true), str("fn_name", d.fnName, true), str("gpu_name", d.gpuName, false),
                   list("hash_prefix", d.hashPrefix, true), list("key", d.keyNames, true), list("dtypes", d.dtypes, true),
                   list("configs", d.configs, true), list("config_fields", d.configFields, true)})
        if (!r)
            return Error{r.error()};
    if (d.hashPrefix.size() != 4)
        return Error{QStringLiteral("%1.hash_prefix: expected 4 strings (triton_key, backend hash, fn.cache_key, env vars), got %2")
                         .arg(where).arg(d.hashPrefix.size())};
    if (d.keyNames.isEmpty())
        return Error{QStringLiteral("%1.key: empty (Triton's autotuner needs a key to cache)").arg(where)};
    if (!d.configFields.contains(QLatin1String("kwargs")))
        return Error{QStringLiteral("%1.config_fields: no 'kwargs' (expected list(triton.Config({}).__dict__))").arg(where)};
    d.configDefaults = o.value(QLatin1String("config_defaults")).toObject();
    const QJsonValue kp = o.value(QLatin1String("key_from_problem"));
    if (kp.isUndefined()) {
        for (int i = 0; i < d.keyNames.size(); ++i)
            d.keyFromProblem.append(i);
    } else {
        const QJsonArray a = kp.toArray();
        for (const QJsonValue& v : a) {
            // Bounded: toInt() gives 0 for what does not fit, and 1e10 read as position 0.
            if (!v.isDouble() || v.toDouble() < 0 || std::floor(v.toDouble()) != v.toDouble() || v.toDouble() > std::numeric_limits<int>::max())
                return Error{QStringLiteral("%1.key_from_problem: expected non-negative integers, got %2").arg(where, jsonText(kp))};
            d.keyFromProblem.append(v.toInt());
        }
        if (d.keyFromProblem.size() != d.keyNames.size())
            return Error{QStringLiteral("%1.key_from_problem: %2 positions for %3 key arguments").arg(where).arg(d.keyFromProblem.size()).arg(d.keyNames.size())};
    }
    const QJsonValue check = o.value(QLatin1String("check"));
    if (check.isObject()) {
        const QJsonObject c = check.toObject();
        Check k;
        for (const QJsonValue& v : c.value(QLatin1String("key_values")).toArray()) {
            // Checked before the conversion: 1e300 was undefined behaviour.
            const double x = v.toDouble(std::nan(""));
            if (!(std::fabs(x) <= 9007199254740992.0) || std::floor(x) != x)
                return Error{QStringLiteral("%1.check.key_values: expected integers, got %2").arg(where, jsonText(v))};
            k.keyValues.append(qint64(x));
        }
        k.tuningKey = c.value(QLatin1String("tuning_key")).toString();
        k.directory = c.value(QLatin1String("directory")).toString();
        k.fileName = c.value(QLatin1String("file_name")).toString();
        if (k.keyValues.size() != d.keyNames.size() || k.tuningKey.isEmpty() || k.directory.isEmpty() || k.fileName.isEmpty())
            return Error{QStringLiteral("%1.check: expected key_values (one per key argument), tuning_key, directory and file_name").arg(where)};
        d.check = k;
    }
    return d;
}

QString TritonCacheExporter::tuningKey(const QVector<qint64>& keyValues, const QStringList& dtypes)
{
    QStringList parts;
    for (qint64 v : keyValues)
        parts.append(QString::number(v));
    for (const QString& t : dtypes)
        parts.append(python::strRepr(t));
    if (parts.size() == 1)
        return QLatin1Char('(') + parts.first() + QStringLiteral(",)");
    return QLatin1Char('(') + parts.join(QStringLiteral(", ")) + QLatin1Char(')');
}

QString TritonCacheExporter::base32(const QByteArray& digest)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    QString out;
    quint64 buffer = 0;
    int bits = 0;
    for (char c : digest) {
        buffer = (buffer << 8) | quint8(c);
        bits += 8;
        while (bits >= 5) {
            out.append(QLatin1Char(alphabet[(buffer >> (bits - 5)) & 31]));
            bits -= 5;
        }
    }
    if (bits > 0)
        out.append(QLatin1Char(alphabet[(buffer << (5 - bits)) & 31]));
    return out; // the "=" padding is what _base32 strips
}

QString TritonCacheExporter::directoryName(const TritonCacheDeployment& d, const QString& tuningKey)
{
    const QString text = (d.hashPrefix + QStringList{tuningKey} + d.configs).join(QLatin1Char('-'));
    const QByteArray hex = QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha256).toHex();
    // The hex digest is what gets base32-encoded (bytes.fromhex of it: the raw digest again).
    return base32(QByteArray::fromHex(hex));
}

QString TritonCacheExporter::fileName(const QString& fnName)
{
    // fn.__name__[:150] counts code points.
    const QVector<uint> cps = fnName.toUcs4();
    QString head;
    for (qsizetype i = 0; i < std::min<qsizetype>(cps.size(), 150); ++i)
        head.append(QString::fromUcs4(reinterpret_cast<const char32_t*>(&cps[i]), 1));
    return head + QStringLiteral(".autotune.json");
}

Result<QVector<QPair<QString, QString>>> TritonCacheExporter::parseConfigString(const QString& config)
{
    QVector<QPair<QString, QString>> out;
    for (const QString& part : config.split(QStringLiteral(", "))) {
        const int colon = part.indexOf(QStringLiteral(": "));
        if (colon <= 0)
            return Error{QStringLiteral("config '%1': '%2' is not 'name: value'").arg(clip(config), clip(part))};
        out.append({part.left(colon), part.mid(colon + 2)});
    }
    return out;
}

namespace {

// The index of the deployment's config the measured configuration is exactly (an option it does not
// name takes its default).
Result<int> matchingConfig(const TritonCacheEntry& e, const QVector<QVector<QPair<QString, QString>>>& parsed,
                           const TritonCacheDeployment& d)
{
    const QString who = e.origin;
    int match = -1;
    for (int i = 0; i < parsed.size(); ++i) {
        bool same = true;
        for (const auto& [name, text] : parsed[i]) {
            const bool option = d.configFields.contains(name);
            const QJsonValue v = e.config.value(name);
            const auto measured = v.isUndefined() ? (option ? std::optional<QString>(defaultOption(name)) : std::nullopt) : pyTextOfJson(v);
            if (!measured || *measured != text) {
                same = false;
                break;
            }
        }
        for (auto it = e.config.begin(); same && it != e.config.end(); ++it)
            if (std::none_of(parsed[i].begin(), parsed[i].end(), [&](const auto& f) { return f.first == it.key(); }))
                same = false;
        if (same) {
            if (match >= 0)
                return Error{QStringLiteral("%1: the configuration %2 matches configs[%3] and configs[%4]").arg(who, jsonText(e.config)).arg(match).arg(i)};
            match = i;
        }
    }
    if (match < 0)
        return Error{QStringLiteral("%1: the configuration %2 is not among the deployment's %3 configs (the autotuner could not pick it)")
                         .arg(who, jsonText(e.config)).arg(d.configs.size())};
    return match;
}

} // namespace

Result<QVector<TritonCacheFile>> TritonCacheExporter::render(const TritonCacheDeployment& d, const QVector<TritonCacheEntry>& entries)
{
    if (versionNumber(d.tritonVersion) < 3004)
        return Error{QStringLiteral("triton_version %1: Triton's on-disk autotune cache in this layout needs Triton 3.4 or later")
                         .arg(d.tritonVersion)};
    if (d.configs.size() < 2)
        return Error{QStringLiteral("configs: %1 config(s); Triton's autotuner consults its cache only with two or more").arg(d.configs.size())};
    if (d.configs.size() != QSet<QString>(d.configs.begin(), d.configs.end()).size())
        return Error{QStringLiteral("configs: duplicate config strings")};
    if (d.check) {
        // The hashing below must give what Triton itself computed on the deployment machine.
        const QString key = tuningKey(d.check->keyValues, d.dtypes);
        if (key != d.check->tuningKey)
            return Error{QStringLiteral("check.tuning_key: Triton printed %1 but the inputs give %2").arg(d.check->tuningKey, key)};
        const QString dir = directoryName(d, key);
        if (dir != d.check->directory)
            return Error{QStringLiteral("check.directory: Triton hashed the key %1 to %2 but the inputs give %3").arg(key, d.check->directory, dir)};
        if (fileName(d.fnName) != d.check->fileName)
            return Error{QStringLiteral("check.file_name: Triton uses %1 but fn_name gives %2").arg(d.check->fileName, fileName(d.fnName))};
    }
    // Each config string's fields; the names in config_fields other than kwargs are options.
    QVector<QVector<QPair<QString, QString>>> parsed;
    for (int i = 0; i < d.configs.size(); ++i) {
        auto p = parseConfigString(d.configs[i]);
        if (!p)
            return Error{QStringLiteral("configs[%1]: %2").arg(i).arg(p.error())};
        parsed.append(p.value());
    }
    QVector<TritonCacheFile> files;
    QHash<QString, QString> originOfKey;
    for (const TritonCacheEntry& e : entries) {
        const QString who = e.origin;
        if (!TuningLadder::isExportable(e.measurement))
            return Error{QStringLiteral("%1: the configuration %2 is not an ok, verified measurement (status %3)")
                             .arg(who, jsonText(e.config), statusName(e.measurement.status))};
        if (!d.gpuName.isEmpty() && !e.deviceName.isEmpty() && e.deviceName != d.gpuName)
            return Error{QStringLiteral("%1: measured on '%2' but the deployment runs on '%3'").arg(who, e.deviceName, d.gpuName)};
        if (e.keyValues.size() != d.keyNames.size())
            return Error{QStringLiteral("%1: %2 key values for the key %3").arg(who).arg(e.keyValues.size()).arg(d.keyNames.join(QStringLiteral(", ")))};
        // The measured configuration must be exactly one of the deployment's configs.
        auto matched = matchingConfig(e, parsed, d);
        if (!matched)
            return Error{matched.error()};
        const int match = matched.value();
        TritonCacheFile f;
        f.origin = who;
        f.configString = d.configs[match];
        f.tuningKey = tuningKey(e.keyValues, d.dtypes);
        if (originOfKey.contains(f.tuningKey))
            return Error{QStringLiteral("%1 and %2 give the same autotuner key %3 (the key arguments %4 do not tell them apart); export one of them")
                             .arg(originOfKey.value(f.tuningKey), who, f.tuningKey, d.keyNames.join(QStringLiteral(", ")))};
        originOfKey.insert(f.tuningKey, who);
        f.directory = directoryName(d, f.tuningKey);
        f.fileName = fileName(d.fnName);

        // json.dumps({"key": [str(k) ...], "configs_timings": [(config.__dict__, timings)]}).
        QStringList keyParts;
        for (qint64 v : e.keyValues)
            keyParts.append(python::jsonString(QString::number(v)));
        for (const QString& t : d.dtypes)
            keyParts.append(python::jsonString(t));
        QStringList kwargs, fields;
        for (const auto& [name, text] : parsed[match]) {
            if (d.configFields.contains(name))
                continue;
            const auto value = jsonOfPyText(text);
            if (!value)
                return Error{QStringLiteral("%1: configs[%2]: the value '%3' of %4 is not an integer, bool or None").arg(who).arg(match).arg(text, name)};
            kwargs.append(python::jsonString(name) + QStringLiteral(": ") + *value);
        }
        for (const QString& field : d.configFields) {
            QString value;
            if (field == QLatin1String("kwargs")) {
                value = QLatin1Char('{') + kwargs.join(QStringLiteral(", ")) + QLatin1Char('}');
            } else if (field == QLatin1String("pre_hook")) {
                value = QStringLiteral("null");
            } else {
                const auto it = std::find_if(parsed[match].begin(), parsed[match].end(), [&](const auto& p) { return p.first == field; });
                auto v = it == parsed[match].end() ? std::nullopt : jsonOfPyText(it->second);
                const QJsonValue fallback = d.configDefaults.value(field);
                if (!v && it == parsed[match].end() && !fallback.isUndefined() && !fallback.isObject() && !fallback.isArray())
                    v = fallback.isString() ? python::jsonString(fallback.toString()) : jsonText(fallback);
                if (!v)
                    return Error{QStringLiteral("config_fields: '%1' is not printed by str(Config) as an integer, bool or None in configs[%2]")
                                     .arg(field).arg(match)};
                value = *v;
            }
            fields.append(python::jsonString(field) + QStringLiteral(": ") + value);
        }
        // do_bench's quantiles (0.5, 0.2, 0.8); the objective is the median the search ranked by.
        const Measurement& m = e.measurement;
        QVector<double> timings{m.objectiveMs, m.objectiveMs, m.objectiveMs};
        if (m.samplesMs.size() >= 2) {
            timings[1] = quantile(m.samplesMs, 0.2);
            timings[2] = quantile(m.samplesMs, 0.8);
        }
        QStringList t;
        for (double v : timings)
            t.append(python::floatRepr(v));
        const QString body = QStringLiteral("{\"key\": [%1], \"configs_timings\": [[{%2}, [%3]]]}")
                                 .arg(keyParts.join(QStringLiteral(", ")), fields.join(QStringLiteral(", ")), t.join(QStringLiteral(", ")));
        f.json = body.toUtf8();
        auto back = readBack(d, f.json);
        if (!back)
            return Error{QStringLiteral("%1: %2: read back: %3").arg(who, f.relativePath(), back.error())};
        if (back.value() != f.configString)
            return Error{QStringLiteral("%1: %2: the autotuner would restore '%3' instead of '%4'").arg(who, f.relativePath(), back.value(), f.configString)};
        files.append(f);
    }
    if (files.isEmpty())
        return Error{QStringLiteral("nothing to export: no tuned key")};
    return files;
}

Result<QString> TritonCacheExporter::readBack(const TritonCacheDeployment& d, const QByteArray& json)
{
    // json.load(f)["configs_timings"]; {Config(**config): timing}; min(timings, key=timings.get).
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject())
        return Error{QStringLiteral("not a JSON object")};
    const QJsonValue ct = doc.object().value(QLatin1String("configs_timings"));
    if (!ct.isArray() || ct.toArray().isEmpty())
        return Error{QStringLiteral("configs_timings: missing or empty (min() of nothing raises)")};
    QString best;
    QVector<double> bestTimings;
    for (const QJsonValue& item : ct.toArray()) {
        const QJsonArray pair = item.toArray();
        if (pair.size() != 2 || !pair[0].isObject())
            return Error{QStringLiteral("configs_timings: an item is not [config, timings]")};
        const QJsonObject c = pair[0].toObject();
        for (auto it = c.begin(); it != c.end(); ++it)
            if (!d.configFields.contains(it.key()))
                return Error{QStringLiteral("Config() of Triton %1 takes no argument '%2'").arg(d.tritonVersion, it.key())};
        if (!c.value(QLatin1String("pre_hook")).isNull() && !c.value(QLatin1String("pre_hook")).isUndefined())
            return Error{QStringLiteral("a config with a pre_hook cannot come from a file")};
        QVector<double> timings;
        const QJsonValue tv = pair[1];
        for (const QJsonValue& v : tv.isArray() ? tv.toArray() : QJsonArray{tv}) {
            if (!v.isDouble() || !std::isfinite(v.toDouble()))
                return Error{QStringLiteral("timings: %1 is not a finite number").arg(jsonText(tv))};
            timings.append(v.toDouble());
        }
        // str(Config(**config)): kwargs (file order: kept by matching against the config
        // strings below), then num_warps, num_ctas, num_stages, maxnreg, ... as Triton prints them.
        const QJsonObject kwargs = c.value(QLatin1String("kwargs")).toObject();
        QString restored;
        for (const QString& s : d.configs) {
            auto p = parseConfigString(s);
            if (!p)
                continue;
            bool same = true;
            int kw = 0;
            for (const auto& [name, text] : p.value()) {
                const bool option = d.configFields.contains(name);
                const QJsonValue v = option ? c.value(name) : kwargs.value(name);
                kw += option ? 0 : 1;
                const auto printed = v.isUndefined() && option ? std::optional<QString>(defaultOption(name)) : pyTextOfJson(v);
                if (!printed || *printed != text) {
                    same = false;
                    break;
                }
            }
            if (same && kw == kwargs.size()) {
                restored = s;
                break;
            }
        }
        if (restored.isEmpty())
            return Error{QStringLiteral("the config %1 is none of the deployment's configs").arg(jsonText(c))};
        if (best.isEmpty() || std::lexicographical_compare(timings.begin(), timings.end(), bestTimings.begin(), bestTimings.end())) {
            best = restored;
            bestTimings = timings;
        }
    }
    return best;
}

Result<QStringList> TritonCacheExporter::write(const QVector<TritonCacheFile>& files, const QString& root, bool force)
{
    // Everything is checked before anything is written.
    QStringList targets;
    QVector<bool> skip;
    for (const TritonCacheFile& f : files) {
        auto plan = SafeFile::checkBelow(root, f.relativePath(), f.json, force);
        if (!plan)
            return Error{plan.error()};
        targets.append(QDir(root).filePath(f.relativePath()));
        skip.append(plan.value() == SafeFile::Plan::Keep);
    }
    if (!QDir().mkpath(root))
        return Error{QStringLiteral("%1: cannot create the directory").arg(root)};
    for (int i = 0; i < files.size(); ++i) {
        if (skip[i])
            continue;
        const TritonCacheFile& f = files[i];
        const QString dir = QDir(root).filePath(f.directory);
        if (QFileInfo(dir).isDir()) {
            if (auto written = SafeFile::write(targets[i], f.json, force); !written)
                return Error{written.error()};
            continue;
        }
        // A new cache directory appears with its file in one rename.
        QTemporaryDir staging(QDir(root).filePath(QStringLiteral(".dejavu-export-XXXXXX")));
        if (!staging.isValid())
            return Error{QStringLiteral("%1: cannot create a temporary directory: %2").arg(root, staging.errorString())};
        const QString stagedDir = staging.path() + QLatin1Char('/') + f.directory;
        QFile out(stagedDir + QLatin1Char('/') + f.fileName);
        if (!QDir().mkpath(stagedDir) || !out.open(QIODevice::WriteOnly) || out.write(f.json) != f.json.size() || !out.flush())
            return Error{QStringLiteral("%1: cannot write: %2").arg(out.fileName(), out.errorString())};
        out.close();
        if (!QDir().rename(stagedDir, dir))
            return Error{QStringLiteral("%1: cannot move the new directory into place").arg(dir)};
    }
    return targets;
}

} // namespace dv
