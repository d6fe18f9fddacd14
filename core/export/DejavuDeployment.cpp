#include "export/DejavuDeployment.h"

#include "base/JsonUtil.h"
#include "export/TritonConfigText.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSet>

#include <cmath>
#include <limits>

namespace dv {

namespace {

/// Reads typed fields of one JSON object and remembers the first problem, naming the field.
class FieldReader {
public:
    FieldReader(const QJsonObject& o, QString prefix, QString source)
        : m_o(o), m_prefix(std::move(prefix)), m_source(std::move(source)) {}

    QString where(const QString& field) const { return QStringLiteral("%1: %2%3").arg(m_source, m_prefix, field); }
    void fail(const QString& field, const QString& what)
    {
        if (m_error.isEmpty())
            m_error = where(field) + QStringLiteral(": ") + what;
    }
    const QString& error() const { return m_error; }

    // Marks the field as known and returns it; undefined when absent (an error if required).
    QJsonValue field(const QString& n, bool required)
    {
        m_known.insert(n);
        const QJsonValue v = m_o.value(n);
        if (v.isUndefined() && required)
            fail(n, QStringLiteral("missing"));
        return v;
    }
    void string(const char* name, QString& out, bool required = false)
    {
        const QString n = QLatin1String(name);
        const QJsonValue v = field(n, required);
        if (v.isUndefined())
            return;
        if (!v.isString())
            return fail(n, QStringLiteral("expected a string, got %1").arg(jsonText(v)));
        out = v.toString();
    }
    void boolean(const char* name, bool& out)
    {
        const QString n = QLatin1String(name);
        const QJsonValue v = field(n, false);
        if (v.isUndefined())
            return;
        if (!v.isBool())
            return fail(n, QStringLiteral("expected true or false, got %1").arg(jsonText(v)));
        out = v.toBool();
    }
    void integer(const char* name, int& out, int minimum)
    {
        std::optional<qint64> v;
        // An int field: 2^32 + 1 used to become 1, and the autotune hash was computed with it.
        optionalInteger(name, v, minimum, false, std::numeric_limits<int>::max());
        if (v)
            out = int(*v);
    }
    void optionalInteger(const char* name, std::optional<qint64>& out, qint64 minimum, bool nullAllowed = true,
                         qint64 maximum = qint64(1e15))
    {
        const QString n = QLatin1String(name);
        const QJsonValue v = field(n, false);
        if (v.isUndefined() || (nullAllowed && v.isNull()))
            return;
        const double d = v.toDouble(std::nan(""));
        if (!v.isDouble() || std::floor(d) != d || d < double(minimum))
            return fail(n, QStringLiteral("expected an integer >= %1%2, got %3").arg(minimum).arg(nullAllowed ? QStringLiteral(" or null") : QString(), jsonText(v)));
        if (d > double(maximum))
            return fail(n, QStringLiteral("expected an integer <= %1, got %2").arg(maximum).arg(jsonText(v)));
        out = qint64(d);
    }
    void strings(const char* name, QStringList& out, bool required = false)
    {
        const QString n = QLatin1String(name);
        const QJsonValue v = field(n, required);
        if (v.isUndefined())
            return;
        if (!v.isArray())
            return fail(n, QStringLiteral("expected a list of strings, got %1").arg(jsonText(v)));
        out.clear();
        const QJsonArray a = v.toArray();
        for (int i = 0; i < a.size(); ++i) {
            if (!a[i].isString())
                return fail(QStringLiteral("%1[%2]").arg(n).arg(i), QStringLiteral("expected a string, got %1").arg(jsonText(a[i])));
            out.append(a[i].toString());
        }
    }
    QJsonValue take(const char* name) { return field(QLatin1String(name), false); }
    void rejectUnknown()
    {
        for (auto it = m_o.begin(); it != m_o.end(); ++it)
            if (!m_known.contains(it.key()))
                return fail(it.key(), QStringLiteral("unknown field"));
    }

private:
    QJsonObject m_o;
    QString m_prefix;
    QString m_source;
    QString m_error;
    QSet<QString> m_known;
};

} // namespace

Result<DejavuDeployment> DejavuDeployment::fromJson(const QByteArray& json, const QString& source)
{
    auto root = parseJsonObject(json, source);
    if (!root)
        return Error{root.error()};
    DejavuDeployment d;
    FieldReader r(root.value(), QString(), source);
    r.string("dejavu_version", d.dejavuVersion);
    r.string("triton_version", d.tritonVersion, true);
    r.string("runtime", d.runtime);
    r.string("runtime_version", d.runtimeVersion);
    r.string("tool_output", d.toolOutput);
    r.string("torch_runtime_version", d.torchRuntimeVersion);
    r.string("gpu_name", d.gpuName, true);
    r.string("tag", d.tag);
    r.strings("key", d.keys, true);
    r.strings("configs", d.configs);
    r.boolean("ignore_dtypes", d.ignoreDtypes);

    const QJsonValue kernel = r.take("kernel");
    if (!kernel.isObject()) {
        r.fail(QStringLiteral("kernel"), kernel.isUndefined() ? QStringLiteral("missing") : QStringLiteral("expected an object"));
    } else {
        FieldReader k(kernel.toObject(), QStringLiteral("kernel."), source);
        k.string("signature", d.signature, true);
        k.string("src", d.source);
        k.string("weak_fn_hash", d.weakFnHash);
        k.strings("arg_names", d.argNames);
        k.strings("arg_dtypes", d.argDtypes);
        k.rejectUnknown();
        if (!k.error().isEmpty())
            return Error{k.error()};
    }

    const QJsonValue autotune = r.take("autotune");
    if (!autotune.isUndefined()) {
        if (!autotune.isObject())
            return Error{QStringLiteral("%1: autotune: expected an object").arg(source)};
        FieldReader a(autotune.toObject(), QStringLiteral("autotune."), source);
        DejavuAutotuneParams& p = d.params;
        a.integer("warmup", p.warmup, 0);
        a.integer("rep", p.rep, 0);
        a.boolean("use_cuda_graph", p.useCudaGraph);
        a.boolean("use_bo", p.useBo);
        a.boolean("use_random_search", p.useRandomSearch);
        a.optionalInteger("max_search_n", p.maxSearchN, 0);
        a.integer("search_max_search_t", p.searchMaxSearchT, 0);
        a.boolean("hash_search_params", p.hashSearchParams);
        const QJsonValue q = a.take("quantiles");
        if (q.isArray()) {
            QVector<double> values;
            for (const QJsonValue& v : q.toArray()) {
                if (!v.isDouble())
                    a.fail(QStringLiteral("quantiles"), QStringLiteral("expected numbers, got %1").arg(jsonText(v)));
                values.append(v.toDouble());
            }
            p.quantiles = values;
        } else if (!q.isUndefined() && !q.isNull()) {
            a.fail(QStringLiteral("quantiles"), QStringLiteral("expected a list of numbers or null"));
        }
        a.rejectUnknown();
        if (!a.error().isEmpty())
            return Error{a.error()};
    }

    const QJsonValue space = r.take("config_space");
    if (!space.isUndefined()) {
        if (!d.configs.isEmpty())
            return Error{QStringLiteral("%1: config_space: give either configs or config_space, not both").arg(source)};
        const QJsonArray kwargs = space.toObject().value(QLatin1String("kwargs")).toArray();
        QVector<QPair<QString, QVector<QJsonValue>>> lists;
        for (int i = 0; i < kwargs.size(); ++i) {
            const QJsonArray pair = kwargs[i].toArray();
            if (pair.size() != 2 || !pair[0].isString() || !pair[1].isArray())
                return Error{QStringLiteral("%1: config_space.kwargs[%2]: expected [\"NAME\", [values...]]").arg(source).arg(i)};
            QVector<QJsonValue> values;
            for (const QJsonValue& v : pair[1].toArray())
                values.append(v);
            lists.append({pair[0].toString(), values});
        }
        auto strings = TritonConfigText::configSpaceStrings(lists, space.toObject().value(QLatin1String("options")).toObject(),
                                                          d.tritonVersion);
        if (!strings)
            return Error{QStringLiteral("%1: %2").arg(source, strings.error())};
        d.configs = strings.value();
    }

    const QJsonValue positions = r.take("key_from_problem");
    if (!positions.isUndefined()) {
        if (!positions.isArray())
            return Error{QStringLiteral("%1: key_from_problem: expected a list of positions").arg(source)};
        for (const QJsonValue& v : positions.toArray()) {
            // Bounded: toInt() gives 0 for what does not fit, and 1e10 read as position 0.
            if (!v.isDouble() || v.toDouble() < 0 || std::floor(v.toDouble()) != v.toDouble() || v.toDouble() > std::numeric_limits<int>::max())
                return Error{QStringLiteral("%1: key_from_problem: %2 is not a position").arg(source, jsonText(v))};
            d.keyFromProblem.append(v.toInt());
        }
    }
    r.rejectUnknown();
    if (!r.error().isEmpty())
        return Error{r.error()};
    if (d.configs.isEmpty())
        return Error{QStringLiteral("%1: configs: missing (the str(triton.Config) list, or config_space)").arg(source)};
    if (d.keyFromProblem.isEmpty())
        for (int i = 0; i < d.keys.size(); ++i)
            d.keyFromProblem.append(i);
    if (d.keyFromProblem.size() != d.keys.size())
        return Error{QStringLiteral("%1: key_from_problem: %2 position(s) for %3 key(s)").arg(source).arg(d.keyFromProblem.size()).arg(d.keys.size())};
    return d;
}

} // namespace dv
