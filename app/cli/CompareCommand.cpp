// `dejavu-tune compare`: GPUs side by side, as the studio's comparison view shows them: the
// portability matrix, the rank correlations and the most portable configuration of stored
// sessions and recorded datasets; --export-default writes that configuration as the default for
// GPUs with no tuned entry. Every number is core's (Portability, PortableConfig).
#include "Cli.h"

#include "CliSupport.h"
#include "analysis/LandscapeSource.h"
#include "analysis/Portability.h"
#include "analysis/PortableConfig.h"
#include "base/SafeFile.h"
#include "export/PortableDefaultExporter.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <cstdio>

namespace dv {

using namespace cli;

namespace {

QString cellText(const Portability& p, int i, int j)
{
    if (std::isfinite(p.slowdown(i, j)))
        return QString::number(p.slowdown(i, j), 'f', 2) + QLatin1Char('x');
    if (p.status(i, j) != Status::Invalid)
        return QStringLiteral("fails (%1)").arg(statusName(p.status(i, j)));
    return p.unmeasured(i, j) ? QStringLiteral("not measured") : QStringLiteral("not in dataset");
}

QJsonValue number(double v) { return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null); }

QJsonObject candidateJson(const PortableConfig& pc, const PortableCandidate& c)
{
    QJsonArray slowdowns;
    for (double s : c.slowdown)
        slowdowns.append(s);
    return {{QStringLiteral("config"), c.config}, {QStringLiteral("worst_slowdown"), c.worst},
            {QStringLiteral("worst_gpu"), pc.names().value(c.worstGpu)}, {QStringLiteral("geomean_slowdown"), c.geomean},
            {QStringLiteral("slowdowns"), slowdowns}};
}

QString candidateText(const PortableConfig& pc, const PortableCandidate& c)
{
    QStringList per;
    for (int g = 0; g < pc.names().size(); ++g)
        per.append(QStringLiteral("%1 %2x").arg(pc.names()[g]).arg(c.slowdown[size_t(g)], 0, 'f', 2));
    return QStringLiteral("%1\n      worst %2x (on %3), geometric mean %4x; %5")
        .arg(compactJson(c.config))
        .arg(c.worst, 0, 'f', 3)
        .arg(pc.names().value(c.worstGpu))
        .arg(c.geomean, 0, 'f', 3)
        .arg(per.join(QStringLiteral(", ")));
}

} // namespace

int Cli::compare(const QStringList& args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("DATASET"), QStringLiteral("Recorded landscapes, as `dejavu-tune devices` lists them."), QStringLiteral("[DATASET...]"));
    p.addOption(databaseOption(QStringLiteral("Result database of the --session ids.")));
    p.addOption({QStringLiteral("session"), QStringLiteral("Stored sessions to compare (repeat it or give a list 1,2,3); each is a partial "
                                                           "landscape: what it did not measure is unknown."), QStringLiteral("IDS")});
    p.addOption({QStringLiteral("json"), QStringLiteral("One JSON object on stdout instead of the tables.")});
    p.addOption({QStringLiteral("export-default"), QStringLiteral("Write the most portable configuration to FILE as the default for GPUs "
                                                                  "with no tuned entry (docs/exports.md)."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("format"), QStringLiteral("--export-default: dejavu (a fallback_heuristic module), vllm (a one-entry config "
                                                          "file body) or json."), QStringLiteral("FORMAT")});
    p.addOption({QStringLiteral("criterion"), QStringLiteral("--export-default: minimax (smallest worst slowdown, the default) or geomean."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("force"), QStringLiteral("Replace an existing FILE with different content.")});
    if (!parse(p, args, QStringLiteral("Compare GPUs: portability matrix, rank correlations, most portable configuration."), true))
        return kBadInput;
    QList<qint64> sessionIds;
    if (!sessionIdsOption(p, sessionIds))
        return kBadInput;
    const QString exportPath = p.value(QStringLiteral("export-default"));
    const QString format = p.value(QStringLiteral("format"));
    const QString criterionName = p.value(QStringLiteral("criterion")).isEmpty() ? QStringLiteral("minimax") : p.value(QStringLiteral("criterion"));
    if (!exportPath.isEmpty() && !PortableDefaultExporter::formats().contains(format)) {
        err(QStringLiteral("--format: expected %1 with --export-default, got '%2'").arg(PortableDefaultExporter::formats().join(QStringLiteral(", ")), format));
        return kBadInput;
    }
    if (exportPath.isEmpty() && (p.isSet(QStringLiteral("format")) || p.isSet(QStringLiteral("criterion")))) {
        err(QStringLiteral("--format and --criterion go with --export-default FILE"));
        return kBadInput;
    }
    if (criterionName != QLatin1String("minimax") && criterionName != QLatin1String("geomean")) {
        err(QStringLiteral("--criterion: expected minimax or geomean, got '%1'").arg(criterionName));
        return kBadInput;
    }
    if (SafeFile::isStdout(exportPath)) {
        err(QStringLiteral("--export-default: give a file (standard output carries the comparison)"));
        return kBadInput;
    }
    std::vector<Landscape> landscapes;
    QString kernel;
    for (const QString& id : p.positionalArguments()) {
        auto l = LandscapeSource::dataset(id);
        if (!l) {
            err(QStringLiteral("%1: %2").arg(id, l.error()));
            return kBadInput;
        }
        kernel = kernel.isEmpty() ? l->space.name() : kernel;
        landscapes.push_back(l.value());
    }
    if (!sessionIds.isEmpty()) {
        auto store = openStoreForReading(databasePath(p));
        if (!store)
            return kBadInput;
        for (qint64 id : sessionIds) {
            auto l = LandscapeSource::session(*store, id);
            if (!l) {
                err(QStringLiteral("session %1: %2").arg(id).arg(l.error()));
                return kBadInput;
            }
            if (kernel.isEmpty())
                if (auto r = store->session(id))
                    kernel = r->kernel;
            landscapes.push_back(l.value());
        }
    }
    auto matrix = Portability::compute(landscapes);
    if (!matrix) {
        err(matrix.error());
        return kBadInput;
    }
    const Portability& m = matrix.value();
    auto portable = PortableConfig::compute(landscapes);
    if (p.isSet(QStringLiteral("json"))) {
        QJsonArray slowdown, best, correlations;
        for (int i = 0; i < m.size(); ++i) {
            QJsonArray row;
            for (int j = 0; j < m.size(); ++j)
                row.append(std::isfinite(m.slowdown(i, j)) ? QJsonValue(m.slowdown(i, j)) : QJsonValue(cellText(m, i, j)));
            slowdown.append(row);
            best.append(QJsonObject{{QStringLiteral("gpu"), m.names()[i]}, {QStringLiteral("best_ms"), number(m.bestMs(i))},
                                    {QStringLiteral("config"), landscapes[size_t(i)].space.config(landscapes[size_t(i)].bestIndex())}});
            for (int j = i + 1; j < m.size(); ++j) {
                const RankCorrelation r = Portability::spearman(landscapes[size_t(i)], landscapes[size_t(j)]);
                correlations.append(QJsonObject{{QStringLiteral("a"), m.names()[i]}, {QStringLiteral("b"), m.names()[j]},
                                                {QStringLiteral("rho"), number(r.rho)}, {QStringLiteral("common"), r.count},
                                                {QStringLiteral("few_common"), r.fewCommon()}});
            }
        }
        QJsonObject root{{QStringLiteral("gpus"), QJsonArray::fromStringList(m.names())}, {QStringLiteral("slowdown"), slowdown},
                         {QStringLiteral("best"), best}, {QStringLiteral("rank_correlations"), correlations},
                         {QStringLiteral("few_common_below"), RankCorrelation::kFewCommon}};
        if (portable) {
            root.insert(QStringLiteral("portable"), QJsonObject{{QStringLiteral("configurations"), portable->candidates()},
                                                                 {QStringLiteral("qualified"), portable->qualified()},
                                                                 {QStringLiteral("excluded_failed"), portable->excludedFailed()},
                                                                 {QStringLiteral("excluded_unmeasured"), portable->excludedUnknown()},
                                                                 {QStringLiteral("minimax"), candidateJson(portable.value(), portable->minimax())},
                                                                 {QStringLiteral("geomean"), candidateJson(portable.value(), portable->geomean())}});
        } else {
            root.insert(QStringLiteral("portable"), QJsonValue::Null);
            root.insert(QStringLiteral("portable_error"), portable.error());
        }
        std::fprintf(stdout, "%s", QJsonDocument(root).toJson(QJsonDocument::Indented).constData());
    } else {
        int width = 12;
        for (const QString& n : m.names())
            width = std::max(width, int(n.size()) + 2);
        out(QStringLiteral("portability: time of the row GPU's best configuration on the column GPU / that GPU's own best"));
        QString header = QString(width, QLatin1Char(' '));
        for (const QString& n : m.names())
            header += n.leftJustified(width);
        while (header.endsWith(QLatin1Char(' ')))
            header.chop(1);
        out(header);
        for (int i = 0; i < m.size(); ++i) {
            QString row = m.names()[i].leftJustified(width);
            for (int j = 0; j < m.size(); ++j)
                row += cellText(m, i, j).leftJustified(width);
            out(row.trimmed());
        }
        out(QStringLiteral("rank correlations (Spearman, over the configurations ok on both):"));
        for (int i = 0; i < m.size(); ++i)
            for (int j = i + 1; j < m.size(); ++j) {
                const RankCorrelation r = Portability::spearman(landscapes[size_t(i)], landscapes[size_t(j)]);
                QString line = QStringLiteral("  %1 ~ %2: ").arg(m.names()[i], m.names()[j]);
                line += std::isfinite(r.rho) ? QStringLiteral("%1 over %2 common").arg(r.rho, 0, 'f', 2).arg(r.count)
                                             : QStringLiteral("none (%1 common)").arg(r.count);
                if (r.fewCommon())
                    line += QStringLiteral("  WARNING: fewer than %1 common configurations, too few to trust").arg(RankCorrelation::kFewCommon);
                out(line);
            }
        if (portable) {
            out(QStringLiteral("most portable configuration (%1):").arg(portable->exclusionText()));
            out(QStringLiteral("  minimax (smallest worst slowdown): ") + candidateText(portable.value(), portable->minimax()));
            out(QStringLiteral("  geomean (smallest geometric mean): ") + candidateText(portable.value(), portable->geomean()));
        } else {
            out(QStringLiteral("most portable configuration: none: %1").arg(portable.error()));
        }
    }
    if (exportPath.isEmpty())
        return portable ? kOk : kNoResult;
    if (!portable) {
        err(QStringLiteral("--export-default: nothing written: %1").arg(portable.error()));
        return kNoResult;
    }
    const auto criterion = criterionName == QLatin1String("geomean") ? PortableDefaultExporter::Criterion::Geomean
                                                                     : PortableDefaultExporter::Criterion::Minimax;
    // A configuration the format cannot hold is bad input; a refused target too (nothing written).
    if (auto rendered = PortableDefaultExporter::render(format, portable.value(), criterion, kernel); !rendered) {
        err(QStringLiteral("--export-default %1: nothing written: %2").arg(format, rendered.error()));
        return kBadInput;
    }
    if (auto written = PortableDefaultExporter::write(format, portable.value(), criterion, kernel, exportPath, p.isSet(QStringLiteral("force")));
        !written) {
        err(written.error());
        return SafeFile::isRefusal(written.error()) ? kBadInput : kFailed;
    }
    std::fprintf(stderr, "wrote the %s portable configuration (%s) to %s\n", qPrintable(criterionName), qPrintable(format), qPrintable(exportPath));
    return kOk;
}

} // namespace dv
