#include "space/ConfigSpace.h"

#include "base/JsonUtil.h"
#include "space/ConstraintSet.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace dv {

namespace {

constexpr qint64 kMaxValidConfigurations = 100'000'000;

// Canonical text of a value, for lookups that treat 32 and 32.0 alike.
QString canonical(const QJsonValue& v)
{
    if (v.isBool())
        return v.toBool() ? QStringLiteral("b:1") : QStringLiteral("b:0");
    if (v.isString())
        return QStringLiteral("s:") + v.toString();
    return QStringLiteral("n:") + QString::number(v.toDouble(), 'g', 17);
}

} // namespace

struct ConfigSpace::Data {
    QString name;
    QVector<Parameter> parameters;
    QStringList constraints;
    std::vector<quint64> stride;
    quint64 productSize = 1;
    std::vector<quint64> ordinals;
    std::vector<QHash<QString, int>> lookup;
};

ConfigSpace::ConfigSpace() : m_data(std::make_shared<Data>()) {}

Result<std::shared_ptr<ConfigSpace::Data>> ConfigSpace::makeData(const QString& name, QVector<Parameter> parameters,
                                                                 QStringList constraints)
{
    auto d = std::make_shared<ConfigSpace::Data>();
    d->name = name;
    const int dims = int(parameters.size());
    d->stride.assign(size_t(dims), 1);
    d->productSize = 1;
    for (int i = dims - 1; i >= 0; --i) {
        d->stride[size_t(i)] = d->productSize;
        const quint64 n = quint64(parameters[i].values.size());
        if (n == 0)
            return Error{QStringLiteral("parameter '%1' has no values").arg(parameters[i].name)};
        if (d->productSize > (quint64(1) << 62) / n)
            return Error{QStringLiteral("the Cartesian product of the parameters exceeds 2^62 combinations")};
        d->productSize *= n;
    }
    d->lookup.resize(size_t(dims));
    for (int i = 0; i < dims; ++i) {
        for (int v = 0; v < parameters[i].values.size(); ++v)
            d->lookup[size_t(i)].insert(canonical(parameters[i].values[v]), v);
    }
    d->parameters = std::move(parameters);
    d->constraints = std::move(constraints);
    return d;
}

Result<ConfigSpace> ConfigSpace::create(const QString& name, QVector<Parameter> parameters,
                                        QStringList constraints, const std::atomic<bool>* interrupt)
{
    auto data = makeData(name, std::move(parameters), std::move(constraints));
    if (!data)
        return Error{data.error()};
    auto& d = *data.value();
    auto compiled = ConstraintSet::compile(d.parameters, d.constraints);
    if (!compiled)
        return Error{compiled.error()};
    bool tooMany = false;
    auto run = compiled->enumerate([&](quint64 ordinal) {
        if (qint64(d.ordinals.size()) >= kMaxValidConfigurations) {
            tooMany = true;
            return false;
        }
        d.ordinals.push_back(ordinal);
        return true;
    }, EnumerationLimits{EnumerationLimits::kMaxExamined, interrupt});
    if (!run)
        return Error{run.error()};
    if (tooMany)
        return Error{QStringLiteral("the space has more than %1 valid configurations; narrow it with constraints")
                         .arg(kMaxValidConfigurations)};
    d.ordinals.shrink_to_fit();
    ConfigSpace space;
    space.m_data = std::move(data.value());
    return space;
}

Result<ConfigSpace> ConfigSpace::fromOrdinals(const QString& name, QVector<Parameter> parameters,
                                              std::vector<quint64> ordinals)
{
    auto data = makeData(name, std::move(parameters), {});
    if (!data)
        return Error{data.error()};
    std::sort(ordinals.begin(), ordinals.end());
    ordinals.erase(std::unique(ordinals.begin(), ordinals.end()), ordinals.end());
    if (!ordinals.empty() && ordinals.back() >= data.value()->productSize)
        return Error{QStringLiteral("configuration ordinal outside the parameter product")};
    data.value()->ordinals = std::move(ordinals);
    ConfigSpace space;
    space.m_data = std::move(data.value());
    return space;
}

Result<QVector<Parameter>> ConfigSpace::parametersFromJson(const QJsonObject& root, const QString& source)
{
    auto fail = [&](const QString& field, const QString& why) {
        return Error{QStringLiteral("%1: %2: %3").arg(source, field, why)};
    };
    const QJsonValue paramsValue = root.value(QLatin1String("parameters"));
    if (!paramsValue.isArray() || paramsValue.toArray().isEmpty())
        return fail(QStringLiteral("parameters"), QStringLiteral("expected a non-empty array of parameters"));

    static const QRegularExpression identifier(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    QVector<Parameter> parameters;
    QSet<QString> names;
    // Checked before a parameter's values are built: a few lines of 10^6-value ranges would
    // otherwise take minutes and gigabytes before the product is found too large.
    quint64 product = 1;
    auto grow = [&product](quint64 count) {
        if (count == 0 || product > (quint64(1) << 62) / count)
            return false;
        product *= count;
        return true;
    };
    const QString tooLarge = QStringLiteral("the Cartesian product of the parameters exceeds 2^62 combinations");
    const QJsonArray params = paramsValue.toArray();
    for (int i = 0; i < params.size(); ++i) {
        const QString at = QStringLiteral("parameters[%1]").arg(i);
        if (!params[i].isObject())
            return fail(at, QStringLiteral("expected an object with \"name\" and \"values\""));
        const QJsonObject p = params[i].toObject();
        for (auto it = p.begin(); it != p.end(); ++it) {
            if (it.key() != QLatin1String("name") && it.key() != QLatin1String("values")
                && it.key() != QLatin1String("range"))
                return fail(at + QLatin1Char('.') + it.key(), QStringLiteral("unknown field (expected name, values or range)"));
        }
        Parameter param;
        param.name = p.value(QLatin1String("name")).toString();
        if (!identifier.match(param.name).hasMatch())
            return fail(at + QStringLiteral(".name"),
                        QStringLiteral("expected an identifier (letters, digits, _), got %1")
                            .arg(jsonText(p.value(QLatin1String("name")))));
        if (names.contains(param.name))
            return fail(at + QStringLiteral(".name"), QStringLiteral("duplicate parameter '%1'").arg(param.name));
        names.insert(param.name);

        QJsonArray values;
        if (p.contains(QLatin1String("range"))) {
            if (p.contains(QLatin1String("values")))
                return fail(at, QStringLiteral("give either \"values\" or \"range\", not both"));
            const QJsonObject r = p.value(QLatin1String("range")).toObject();
            const QJsonValue start = r.value(QLatin1String("start")), stop = r.value(QLatin1String("stop")),
                             step = r.value(QLatin1String("step"));
            if (!start.isDouble() || !stop.isDouble() || (!step.isUndefined() && !step.isDouble()))
                return fail(at + QStringLiteral(".range"),
                            QStringLiteral("expected {\"start\": number, \"stop\": number, \"step\": number}"));
            const double s = start.toDouble(), e = stop.toDouble(), st = step.isUndefined() ? 1.0 : step.toDouble();
            if (!(st > 0) || e < s || (e - s) / st > 1e6)
                return fail(at + QStringLiteral(".range"), QStringLiteral("needs step > 0, stop >= start and at most 1e6 values"));
            // start + k * step rather than a running sum, and fractions rounded to 15 digits, so a
            // decimal step gives the decimals the user wrote (0.3, not 0.30000000000000004).
            const qint64 count = qint64(std::floor((e - s) / st + 1e-9)) + 1;
            if (!grow(quint64(count)))
                return fail(at + QStringLiteral(".range"), tooLarge);
            for (qint64 k = 0; k < count; ++k) {
                double x = s + double(k) * st;
                if (x != std::floor(x))
                    x = QString::number(x, 'g', 15).toDouble();
                values.append(x);
            }
        } else {
            const QJsonValue v = p.value(QLatin1String("values"));
            if (!v.isArray() || v.toArray().isEmpty())
                return fail(at + QStringLiteral(".values"), QStringLiteral("expected a non-empty array"));
            values = v.toArray();
            if (!grow(quint64(values.size())))
                return fail(at + QStringLiteral(".values"), tooLarge);
        }

        bool anyBool = false, anyString = false, anyNumber = false, anyFraction = false;
        QSet<QString> seen;
        for (int j = 0; j < values.size(); ++j) {
            const QJsonValue v = values[j];
            const QString vat = QStringLiteral("%1.values[%2]").arg(at).arg(j);
            if (v.isBool()) {
                anyBool = true;
            } else if (v.isString()) {
                anyString = true;
            } else if (v.isDouble()) {
                anyNumber = true;
                const double x = v.toDouble();
                if (!std::isfinite(x))
                    return fail(vat, QStringLiteral("not a finite number"));
                if (x != std::floor(x) || std::fabs(x) > 9007199254740992.0)
                    anyFraction = true;
            } else {
                return fail(vat, QStringLiteral("expected a number, boolean or string, got %1").arg(jsonText(v)));
            }
            if (int(anyBool) + int(anyString) + int(anyNumber) > 1)
                return fail(vat, QStringLiteral("all values of a parameter must have one type (numbers, booleans or strings)"));
            if (seen.contains(canonical(v)))
                return fail(vat, QStringLiteral("duplicate value %1").arg(jsonText(v)));
            seen.insert(canonical(v));
            param.values.append(v);
        }
        param.type = anyBool ? ParameterType::Bool
                   : anyString ? ParameterType::String
                   : anyFraction ? ParameterType::Float : ParameterType::Int;
        parameters.append(param);
    }

    return parameters;
}

Result<ConfigSpace> ConfigSpace::fromJson(const QByteArray& json, const QString& source, const std::atomic<bool>* interrupt)
{
    auto doc = parseJsonObject(json, source);
    if (!doc)
        return Error{doc.error()};
    const QJsonObject root = doc.value();
    auto fail = [&](const QString& field, const QString& why) {
        return Error{QStringLiteral("%1: %2: %3").arg(source, field, why)};
    };
    static const QSet<QString> known = {QStringLiteral("name"), QStringLiteral("description"),
                                        QStringLiteral("parameters"), QStringLiteral("constraints")};
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (!known.contains(it.key()))
            return fail(it.key(), QStringLiteral("unknown field (expected name, description, parameters, constraints)"));
    }
    if (root.contains(QLatin1String("name")) && !root.value(QLatin1String("name")).isString())
        return fail(QStringLiteral("name"), QStringLiteral("expected a string"));
    auto parsed = parametersFromJson(root, source);
    if (!parsed)
        return Error{parsed.error()};
    const QVector<Parameter> parameters = parsed.value();

    QStringList constraints;
    const QJsonValue cValue = root.value(QLatin1String("constraints"));
    if (!cValue.isUndefined()) {
        if (!cValue.isArray())
            return fail(QStringLiteral("constraints"), QStringLiteral("expected an array of strings"));
        const QJsonArray arr = cValue.toArray();
        for (int i = 0; i < arr.size(); ++i) {
            if (!arr[i].isString())
                return fail(QStringLiteral("constraints[%1]").arg(i), QStringLiteral("expected a string, got %1").arg(jsonText(arr[i])));
            constraints.append(arr[i].toString());
        }
    }

    // Compile the constraints one at a time first, so an error can point at the line that holds it.
    for (int i = 0; i < constraints.size(); ++i) {
        auto single = ConstraintSet::compile(parameters, QStringList{constraints[i]});
        if (!single) {
            const int line = lineOfString(json, constraints[i]);
            const QString where = line > 0 ? QStringLiteral("%1:%2").arg(source).arg(line)
                                           : QStringLiteral("%1: constraints[%2]").arg(source).arg(i);
            QString message = single.error();
            message.replace(QStringLiteral("constraint 1 "), QStringLiteral("constraint "));
            return Error{QStringLiteral("%1: %2").arg(where, message)};
        }
    }

    QString name = root.value(QLatin1String("name")).toString();
    auto space = create(name, parameters, constraints, interrupt);
    if (!space)
        return Error{QStringLiteral("%1: %2").arg(source, space.error())};
    return space;
}

const QString& ConfigSpace::name() const { return m_data->name; }
const QVector<Parameter>& ConfigSpace::parameters() const { return m_data->parameters; }
const QStringList& ConfigSpace::constraints() const { return m_data->constraints; }
int ConfigSpace::dimensions() const { return int(m_data->parameters.size()); }
quint64 ConfigSpace::productSize() const { return m_data->parameters.isEmpty() ? 0 : m_data->productSize; }
qint64 ConfigSpace::size() const { return qint64(m_data->ordinals.size()); }
quint64 ConfigSpace::ordinal(qint64 index) const { return m_data->ordinals[size_t(index)]; }

qint64 ConfigSpace::indexOfOrdinal(quint64 ordinal) const
{
    const auto& o = m_data->ordinals;
    auto it = std::lower_bound(o.begin(), o.end(), ordinal);
    return (it != o.end() && *it == ordinal) ? qint64(it - o.begin()) : -1;
}

std::vector<int> ConfigSpace::valueIndices(qint64 index) const
{
    const Data& d = *m_data;
    std::vector<int> out(d.stride.size());
    quint64 rest = d.ordinals[size_t(index)];
    for (size_t i = 0; i < out.size(); ++i) {
        out[i] = int(rest / d.stride[i]);
        rest %= d.stride[i];
    }
    return out;
}

QJsonObject ConfigSpace::config(qint64 index) const
{
    const auto idx = valueIndices(index);
    QJsonObject out;
    for (size_t i = 0; i < idx.size(); ++i) {
        const Parameter& p = m_data->parameters[qsizetype(i)];
        out.insert(p.name, p.values[idx[i]]);
    }
    return out;
}

QString ConfigSpace::key(qint64 index) const { return keyOf(config(index)); }

QString ConfigSpace::keyOf(const QJsonObject& config)
{
    return QString::fromUtf8(QJsonDocument(config).toJson(QJsonDocument::Compact));
}

int ConfigSpace::valueIndex(int parameter, const QJsonValue& value) const
{
    return m_data->lookup[size_t(parameter)].value(canonical(value), -1);
}

qint64 ConfigSpace::indexOf(const QJsonObject& config) const
{
    const Data& d = *m_data;
    if (config.size() != d.parameters.size())
        return -1;
    quint64 ordinal = 0;
    for (int i = 0; i < d.parameters.size(); ++i) {
        const auto it = config.find(d.parameters[i].name);
        if (it == config.end())
            return -1;
        const int v = valueIndex(i, it.value());
        if (v < 0)
            return -1;
        ordinal += quint64(v) * d.stride[size_t(i)];
    }
    return indexOfOrdinal(ordinal);
}

QJsonObject ConfigSpace::toJson() const
{
    QJsonArray params;
    for (const Parameter& p : m_data->parameters) {
        QJsonArray values;
        for (const QJsonValue& v : p.values)
            values.append(v);
        params.append(QJsonObject{{QStringLiteral("name"), p.name}, {QStringLiteral("values"), values}});
    }
    QJsonObject out{{QStringLiteral("parameters"), params}};
    if (!m_data->name.isEmpty())
        out.insert(QStringLiteral("name"), m_data->name);
    if (!m_data->constraints.isEmpty())
        out.insert(QStringLiteral("constraints"), QJsonArray::fromStringList(m_data->constraints));
    return out;
}

} // namespace dv
