#include "export/TritonConfigText.h"

#include "export/PythonText.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include <cmath>

namespace dv {

namespace {

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

} // namespace

std::pair<int, int> TritonConfigText::majorMinor(const QString& version)
{
    static const QRegularExpression re(QStringLiteral("^(\\d+)\\.(\\d+)"));
    const auto m = re.match(version);
    if (!m.hasMatch())
        return {-1, -1};
    return {m.captured(1).toInt(), m.captured(2).toInt()};
}

QVector<QPair<QString, QJsonValue>> TritonConfigText::launchOptions(const QString& tritonVersion)
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

QString TritonConfigText::keyString(const QStringList& elements) { return python::tupleOfStr(elements); }

QStringList TritonConfigText::parseKeyString(const QString& key, bool ignoreDtypes)
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

Result<QJsonObject> TritonConfigText::parseConfigString(const QString& config)
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

Result<QString> TritonConfigText::configString(const QVector<QPair<QString, QJsonValue>>& kwargs, const QJsonObject& options,
                                             const QString& tritonVersion)
{
    const auto fixed = launchOptions(tritonVersion);
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

Result<QStringList> TritonConfigText::configSpaceStrings(const QVector<QPair<QString, QVector<QJsonValue>>>& kwargs,
                                                       const QJsonObject& options, const QString& tritonVersion)
{
    const auto fixed = launchOptions(tritonVersion);
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

} // namespace dv
