// `dejavu-tune compare`: GPUs side by side, as the studio's comparison view shows them: the
// portability matrix, the rank correlations and the most portable configuration of stored
// sessions and recorded datasets; --export-default writes that configuration as the default for
// GPUs with no tuned entry. Every number is core's (Portability, PortableConfig).
#include "Cli.h"

#include "CliSupport.h"
#include "SignalGuard.h"
#include "analysis/CrossCheck.h"
#include "analysis/LandscapeSource.h"
#include "analysis/Portability.h"
#include "analysis/PortabilityEstimate.h"
#include "analysis/PortableConfig.h"
#include "base/SafeFile.h"
#include "export/PortableDefaultExporter.h"
#include "session/SessionLaunch.h"

#include <QCommandLineParser>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
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

/// The table's cell: a measured value, or the surrogate's estimate marked as one ("~1.42x est.").
QString tableCell(const Portability& p, const PortabilityEstimate& e, int i, int j)
{
    if (p.unmeasured(i, j) && e.at(i, j).isValid())
        return QStringLiteral("~%1x est.").arg(e.at(i, j).slowdown, 0, 'f', 2);
    return cellText(p, i, j);
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


/// What is compared: the landscapes in order, and the stored session behind each (0: a dataset).
struct Compared {
    std::vector<Landscape> landscapes;
    QList<qint64> sessionIds;
    QString kernel;
};

bool load(const QStringList& datasets, const QString& db, const QList<qint64>& ids, Compared& c)
{
    c = Compared{};
    for (const QString& id : datasets) {
        auto l = LandscapeSource::dataset(id);
        if (!l) {
            err(QStringLiteral("%1: %2").arg(id, l.error()));
            return false;
        }
        c.kernel = c.kernel.isEmpty() ? l->space.name() : c.kernel;
        c.landscapes.push_back(l.value());
        c.sessionIds.append(0);
    }
    if (ids.isEmpty())
        return true;
    auto store = openStoreForReading(db);
    if (!store)
        return false;
    for (qint64 id : ids) {
        auto l = LandscapeSource::session(*store, id);
        if (!l) {
            err(QStringLiteral("session %1: %2").arg(id).arg(l.error()));
            return false;
        }
        if (c.kernel.isEmpty())
            if (auto r = store->session(id))
                c.kernel = r->kernel;
        c.landscapes.push_back(l.value());
        c.sessionIds.append(id);
    }
    return true;
}

/// What the compared sessions lack (nothing when only datasets are compared).
Result<QVector<CrossCheckTarget>> plan(const QString& db, const Compared& c, int count)
{
    if (!std::any_of(c.sessionIds.begin(), c.sessionIds.end(), [](qint64 id) { return id > 0; }))
        return QVector<CrossCheckTarget>{};
    auto store = ResultStore::openForReading(db);
    if (!store)
        return Error{store.error()};
    return CrossCheck::plan(*store.value(), c.landscapes, c.sessionIds, count);
}

/// --device SESSION=ID, repeated: the device of each compared session's GPU for the cross-check.
bool crossCheckDevices(const QCommandLineParser& p, const QList<qint64>& ids, QHash<qint64, QString>& devices)
{
    for (const QString& v : p.values(QStringLiteral("device"))) {
        const int eq = v.indexOf(QLatin1Char('='));
        bool ok = false;
        const qint64 id = eq > 0 ? v.left(eq).trimmed().toLongLong(&ok) : 0;
        if (!ok || eq + 1 >= v.size()) {
            err(QStringLiteral("--device: expected SESSION=DEVICE (a compared session's id and the device to measure its GPU on), got '%1'").arg(v));
            return false;
        }
        if (!ids.contains(id)) {
            err(QStringLiteral("--device %1: session %2 is not one of the compared --session ids").arg(v).arg(id));
            return false;
        }
        if (devices.contains(id)) {
            err(QStringLiteral("--device: session %1 given twice").arg(id));
            return false;
        }
        devices.insert(id, v.mid(eq + 1));
    }
    return true;
}

/// Runs the cross-check sessions of `targets` (every target has a device: checked before), stored
/// in `db`; false after an error or a signal (`code` says which).
bool runCrossChecks(const QVector<CrossCheckTarget>& targets, const QHash<qint64, QString>& devices, const QString& db, int& code)
{
    SignalGuard guard;
    auto store = ResultStore::open(db);
    if (!store) {
        err(store.error());
        code = kBadInput;
        return false;
    }
    // Every device opens and is checked against its session before anything is stored.
    auto opened = CrossCheck::openDevices(*store.value(), targets, devices, guard.flag());
    if (!opened) {
        err(opened.error() + QStringLiteral("\n  (give --device SESSION=DEVICE for each compared session that lacks configurations)"));
        code = guard.caught() ? guard.exitCode() : kBadInput;
        return false;
    }
    for (int k = 0; k < targets.size() && !guard.caught(); ++k) {
        const CrossCheckTarget& t = targets[k];
        auto ran = CrossCheck::run(*store.value(), t, opened.value()[size_t(k)], devices.value(t.sessionId), [&](Session* s) { guard.setSession(s); });
        if (!ran) {
            err(ran.error());
            code = kFailed;
            return false;
        }
        std::fprintf(stderr, "cross-check of session %lld: %d configuration(s) of %s measured on %s (session %lld)\n", t.sessionId,
                     int(t.configs.size()), qPrintable(t.from.join(QStringLiteral(", "))), qPrintable(devices.value(t.sessionId)), ran.value());
    }
    if (guard.caught()) {
        err(QStringLiteral("interrupted: the cross-check measured so far is stored"));
        code = guard.exitCode();
        return false;
    }
    return true;
}

QJsonObject jsonReport(const Compared& c, const Portability& m, const PortabilityEstimate& est, const Result<PortableConfig>& portable,
                       const QVector<CrossCheckTarget>& missing)
{
    QJsonArray slowdown, estimates, best, correlations, missingJson;
    for (int i = 0; i < m.size(); ++i) {
        QJsonArray row, estRow;
        for (int j = 0; j < m.size(); ++j) {
            row.append(std::isfinite(m.slowdown(i, j)) ? QJsonValue(m.slowdown(i, j)) : QJsonValue(cellText(m, i, j)));
            const EstimatedSlowdown& e = est.at(i, j);
            estRow.append(m.unmeasured(i, j) && e.isValid()
                              ? QJsonValue(QJsonObject{{QStringLiteral("slowdown"), e.slowdown}, {QStringLiteral("low"), e.low},
                                                       {QStringLiteral("high"), e.high}, {QStringLiteral("observations"), e.observations}})
                              : QJsonValue(QJsonValue::Null));
        }
        slowdown.append(row);
        estimates.append(estRow);
        const Landscape& li = c.landscapes[size_t(i)];
        best.append(QJsonObject{{QStringLiteral("gpu"), m.names()[i]}, {QStringLiteral("best_ms"), number(m.bestMs(i))},
                                {QStringLiteral("config"), li.space.config(li.bestIndex())}});
        for (int j = i + 1; j < m.size(); ++j) {
            const RankCorrelation r = Portability::spearman(li, c.landscapes[size_t(j)]);
            correlations.append(QJsonObject{{QStringLiteral("a"), m.names()[i]}, {QStringLiteral("b"), m.names()[j]},
                                            {QStringLiteral("rho"), number(r.rho)}, {QStringLiteral("common"), r.count},
                                            {QStringLiteral("few_common"), r.fewCommon()}});
        }
    }
    for (const CrossCheckTarget& t : missing) {
        QJsonArray configs;
        for (const QJsonObject& cfg : t.configs)
            configs.append(cfg);
        missingJson.append(QJsonObject{{QStringLiteral("session"), double(t.sessionId)}, {QStringLiteral("gpu"), t.name},
                                       {QStringLiteral("stored_device"), t.storedDevice.id}, {QStringLiteral("configs"), configs},
                                       {QStringLiteral("from"), QJsonArray::fromStringList(t.from)}});
    }
    QJsonObject root{{QStringLiteral("gpus"), QJsonArray::fromStringList(m.names())}, {QStringLiteral("slowdown"), slowdown},
                     {QStringLiteral("estimates"), estimates}, {QStringLiteral("best"), best},
                     {QStringLiteral("rank_correlations"), correlations}, {QStringLiteral("few_common_below"), RankCorrelation::kFewCommon},
                     {QStringLiteral("not_measured"), missingJson}};
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
    return root;
}

void printReport(const Compared& c, const Portability& m, const PortabilityEstimate& est, const Result<PortableConfig>& portable,
                 const QVector<CrossCheckTarget>& missing)
{
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
            row += tableCell(m, est, i, j).leftJustified(width);
        out(row.trimmed());
    }
    if (est.any())
        out(QStringLiteral("  ~ est.: not measured; estimated by a surrogate of the column GPU's measured configurations "
                           "(a guess, often off by 1.2x to 5x: measure it with --cross-check)"));
    for (const CrossCheckTarget& t : missing)
        out(QStringLiteral("  not measured on %1").arg(CrossCheck::describe(t)));
    if (!missing.isEmpty())
        out(QStringLiteral("  to measure them: the same command with --cross-check --device SESSION=DEVICE for each session above "
                           "(its stored device is shown, not run)"));
    out(QStringLiteral("rank correlations (Spearman, over the configurations ok on both):"));
    for (int i = 0; i < m.size(); ++i)
        for (int j = i + 1; j < m.size(); ++j) {
            const RankCorrelation r = Portability::spearman(c.landscapes[size_t(i)], c.landscapes[size_t(j)]);
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

/// --export-default: the portable configuration written as the default for GPUs with no entry.
int exportDefault(const Result<PortableConfig>& portable, const QString& kernel, const QString& exportPath, const QString& format,
                  const QString& criterionName, bool force)
{
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
    if (auto written = PortableDefaultExporter::write(format, portable.value(), criterion, kernel, exportPath, force); !written) {
        err(written.error());
        return SafeFile::isRefusal(written.error()) ? kBadInput : kFailed;
    }
    std::fprintf(stderr, "wrote the %s portable configuration (%s) to %s\n", qPrintable(criterionName), qPrintable(format), qPrintable(exportPath));
    return kOk;
}

} // namespace

int Cli::compare(const QStringList& args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("DATASET"), QStringLiteral("Recorded landscapes, as `dejavu-tune devices` lists them."), QStringLiteral("[DATASET...]"));
    p.addOption(databaseOption(QStringLiteral("Result database of the --session ids.")));
    p.addOption({QStringLiteral("session"), QStringLiteral("Stored sessions to compare (repeat it or give a list 1,2,3); each is a partial "
                                                           "landscape: what it did not measure is unknown (estimated, marked est.)."), QStringLiteral("IDS")});
    p.addOption({QStringLiteral("json"), QStringLiteral("One JSON object on stdout instead of the tables.")});
    p.addOption({QStringLiteral("cross-check"), QStringLiteral("First measure on each compared session's GPU the best configurations of the "
                                                               "other landscapes it never ran (a new stored session per GPU, merged into "
                                                               "that session's landscape); needs --device for each.")});
    p.addOption({QStringLiteral("cross-check-count"), QStringLiteral("The best N configurations of each landscape offered to the others "
                                                                     "(default %1).").arg(CrossCheck::kDefaultCount), QStringLiteral("N")});
    p.addOption({QStringLiteral("device"), QStringLiteral("--cross-check: SESSION=DEVICE, the device to measure session SESSION's GPU on "
                                                          "(repeat per session; a stored device is never opened by itself)."), QStringLiteral("SESSION=DEVICE")});
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
    const bool crossCheck = p.isSet(QStringLiteral("cross-check"));
    int count = CrossCheck::kDefaultCount;
    if (p.isSet(QStringLiteral("cross-check-count"))) {
        bool ok = false;
        count = p.value(QStringLiteral("cross-check-count")).toInt(&ok);
        if (!ok || count < 1) {
            err(QStringLiteral("--cross-check-count: expected a positive integer, got '%1'").arg(p.value(QStringLiteral("cross-check-count"))));
            return kBadInput;
        }
    }
    QHash<qint64, QString> devices;
    if (!crossCheck && p.isSet(QStringLiteral("device"))) {
        err(QStringLiteral("--device goes with --cross-check"));
        return kBadInput;
    }
    if (crossCheck && sessionIds.isEmpty()) {
        err(QStringLiteral("--cross-check: give the stored sessions to complete (--session); recorded datasets measured everything"));
        return kBadInput;
    }
    if (!crossCheckDevices(p, sessionIds, devices))
        return kBadInput;
    const QString db = databasePath(p);
    Compared c;
    if (!load(p.positionalArguments(), db, sessionIds, c))
        return kBadInput;
    auto matrix = Portability::compute(c.landscapes);
    if (!matrix) {
        err(matrix.error());
        return kBadInput;
    }
    Result<QVector<CrossCheckTarget>> missing = plan(db, c, count);
    if (!missing) {
        err(missing.error());
        return kBadInput;
    }
    if (crossCheck && !missing->isEmpty()) {
        int code = kOk;
        if (!runCrossChecks(missing.value(), devices, db, code))
            return code;
        // The comparison again, the cross-checks merged into their sessions.
        if (!load(p.positionalArguments(), db, sessionIds, c))
            return kFailed;
        matrix = Portability::compute(c.landscapes);
        if (!matrix) {
            err(matrix.error());
            return kFailed;
        }
        missing = plan(db, c, count);
        if (!missing) {
            err(missing.error());
            return kFailed;
        }
    } else if (crossCheck) {
        std::fprintf(stderr, "cross-check: nothing to measure, every compared session ran the others' best configurations\n");
    }
    const Portability& m = matrix.value();
    const PortabilityEstimate estimates = PortabilityEstimate::compute(c.landscapes, m);
    auto portable = PortableConfig::compute(c.landscapes);
    if (p.isSet(QStringLiteral("json")))
        std::fprintf(stdout, "%s", QJsonDocument(jsonReport(c, m, estimates, portable, missing.value())).toJson(QJsonDocument::Indented).constData());
    else
        printReport(c, m, estimates, portable, missing.value());
    if (exportPath.isEmpty())
        return portable ? kOk : kNoResult;
    return exportDefault(portable, c.kernel, exportPath, format, criterionName, p.isSet(QStringLiteral("force")));
}

} // namespace dv
