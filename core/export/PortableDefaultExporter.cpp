#include "export/PortableDefaultExporter.h"

#include "base/SafeFile.h"
#include "export/PythonText.h"
#include "export/VllmConfigExporter.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace dv {

namespace {

const PortableCandidate& chosen(const PortableConfig& p, PortableDefaultExporter::Criterion c)
{
    return c == PortableDefaultExporter::Criterion::Minimax ? p.minimax() : p.geomean();
}

QString criterionName(PortableDefaultExporter::Criterion c)
{
    return c == PortableDefaultExporter::Criterion::Minimax ? QStringLiteral("minimax") : QStringLiteral("geomean");
}

/// A JSON value as a Python literal, or an error for what a Triton config cannot hold.
Result<QString> pythonLiteral(const QJsonValue& v, const QString& name)
{
    if (v.isBool())
        return QString(v.toBool() ? QStringLiteral("True") : QStringLiteral("False"));
    if (v.isNull())
        return QStringLiteral("None");
    if (v.isString())
        return python::strRepr(v.toString());
    if (v.isDouble()) {
        const double d = v.toDouble();
        if (std::isfinite(d) && std::floor(d) == d && std::abs(d) < 9.007199254740992e15)
            return QString::number(qint64(d));
        if (std::isfinite(d))
            return python::floatRepr(d);
    }
    return Error{QStringLiteral("parameter %1: the value %2 cannot be a Triton config value")
                     .arg(python::strRepr(name), QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)))};
}

Result<QByteArray> dejavuModule(const PortableConfig& p, PortableDefaultExporter::Criterion criterion, const QString& kernel)
{
    // The launch options triton.Config takes as keywords; everything else is a kernel argument.
    static const QStringList options{QStringLiteral("num_warps"), QStringLiteral("num_stages"), QStringLiteral("num_ctas"),
                                     QStringLiteral("maxnreg")};
    const PortableCandidate& c = chosen(p, criterion);
    QStringList kwargs, opts;
    for (auto it = c.config.begin(); it != c.config.end(); ++it) {
        auto literal = pythonLiteral(it.value(), it.key());
        if (!literal)
            return Error{literal.error()};
        (options.contains(it.key()) ? opts : kwargs).append(python::strRepr(it.key()) + QStringLiteral(": ") + literal.value());
    }
    QStringList gpus;
    for (const QString& g : p.names())
        gpus.append(python::strRepr(g));
    // Names from files (kernel, GPUs) go in only as string literals, never into a comment, where a
    // newline would end the comment and start code.
    QString text = QStringLiteral(
        "# The most portable configuration, written by dejavu-tune (docs/exports.md, \"The portable default\").\n"
        "# triton-dejavu calls fallback_heuristic(key) on a key its cache lacks when TRITON_DEJAVU_FORCE_FALLBACK=1:\n"
        "#     @triton_dejavu.autotune(..., fallback_heuristic=fallback_heuristic)\n"
        "import triton\n\n");
    text += QStringLiteral("PORTABLE_KERNEL = %1\n").arg(python::strRepr(kernel));
    text += QStringLiteral("PORTABLE_GPUS = [%1]\n").arg(gpus.join(QStringLiteral(", ")));
    text += QStringLiteral("PORTABLE_CRITERION = %1\n").arg(python::strRepr(criterionName(criterion)));
    text += QStringLiteral("PORTABLE_WORST_SLOWDOWN = %1\n").arg(python::floatRepr(c.worst));
    text += QStringLiteral("PORTABLE_GEOMEAN_SLOWDOWN = %1\n").arg(python::floatRepr(c.geomean));
    text += QStringLiteral("PORTABLE_KWARGS = {%1}\n").arg(kwargs.join(QStringLiteral(", ")));
    text += QStringLiteral("PORTABLE_OPTIONS = {%1}\n\n\n").arg(opts.join(QStringLiteral(", ")));
    text += QStringLiteral("def fallback_heuristic(key):\n    return triton.Config(dict(PORTABLE_KWARGS), **PORTABLE_OPTIONS)\n");
    return text.toUtf8();
}

QByteArray plainJson(const PortableConfig& p, PortableDefaultExporter::Criterion criterion, const QString& kernel)
{
    auto describe = [&p](const PortableCandidate& c) {
        QJsonArray slowdowns;
        for (int g = 0; g < p.names().size(); ++g)
            slowdowns.append(QJsonObject{{QStringLiteral("gpu"), p.names()[g]}, {QStringLiteral("slowdown"), c.slowdown[size_t(g)]}});
        return QJsonObject{{QStringLiteral("config"), c.config},
                           {QStringLiteral("worst_slowdown"), c.worst},
                           {QStringLiteral("worst_gpu"), p.names().value(c.worstGpu)},
                           {QStringLiteral("geomean_slowdown"), c.geomean},
                           {QStringLiteral("slowdowns"), slowdowns}};
    };
    QJsonObject root = describe(chosen(p, criterion));
    root.insert(QStringLiteral("kernel"), kernel);
    root.insert(QStringLiteral("criterion"), criterionName(criterion));
    root.insert(QStringLiteral("gpus"), QJsonArray::fromStringList(p.names()));
    root.insert(QStringLiteral("configurations"), p.candidates());
    root.insert(QStringLiteral("qualified"), p.qualified());
    root.insert(QStringLiteral("excluded_failed"), p.excludedFailed());
    root.insert(QStringLiteral("excluded_unmeasured"), p.excludedUnknown());
    root.insert(criterion == PortableDefaultExporter::Criterion::Minimax ? QStringLiteral("geomean_variant") : QStringLiteral("minimax_variant"),
                describe(chosen(p, criterion == PortableDefaultExporter::Criterion::Minimax ? PortableDefaultExporter::Criterion::Geomean
                                                                                             : PortableDefaultExporter::Criterion::Minimax)));
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

} // namespace

QStringList PortableDefaultExporter::formats()
{
    return {QStringLiteral("dejavu"), QStringLiteral("vllm"), QStringLiteral("json")};
}

Result<QByteArray> PortableDefaultExporter::render(const QString& format, const PortableConfig& portable, Criterion criterion,
                                                   const QString& kernel)
{
    if (format == QLatin1String("dejavu"))
        return dejavuModule(portable, criterion, kernel);
    if (format == QLatin1String("json"))
        return plainJson(portable, criterion, kernel);
    if (format == QLatin1String("vllm")) {
        auto fields = VllmConfigExporter::entryFields(chosen(portable, criterion).config, QStringLiteral("the portable configuration"));
        if (!fields)
            return Error{fields.error()};
        const QByteArray body = VllmConfigExporter::bodyText({{1, fields.value()}}, QString());
        // Read back with vLLM's rules before anything is written.
        if (auto back = VllmConfigExporter::parse(body, QStringLiteral("the portable default")); !back)
            return Error{back.error()};
        return body;
    }
    return Error{QStringLiteral("--format: unknown format '%1' for the portable default (known: %2)")
                     .arg(format, formats().join(QStringLiteral(", ")))};
}

Result<void> PortableDefaultExporter::write(const QString& format, const PortableConfig& portable, Criterion criterion,
                                            const QString& kernel, const QString& path, bool force)
{
    auto bytes = render(format, portable, criterion, kernel);
    if (!bytes)
        return Error{bytes.error()};
    if (auto written = SafeFile::write(path, bytes.value(), force); !written)
        return Error{written.error()};
    return {};
}

} // namespace dv
