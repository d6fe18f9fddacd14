// `dejavu-tune refresh`: re-tune a ladder tuned on one platform (stored sessions or a bundle) on
// another device, from what the first one knows (export/Refresh; docs/exports.md "Refresh").
#include "Cli.h"

#include "CliSupport.h"
#include "SignalGuard.h"
#include "base/Format.h"
#include "export/Bundle.h"
#include "export/Refresh.h"
#include "session/BestTrial.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

#include <cstdio>

namespace dv {

using namespace cli;

namespace {

/// The settings from the options; false after a message.
bool readSettings(const QCommandLineParser& p, RefreshSettings& s)
{
    qint64 budget = s.budget, patience = s.patience, seed = qint64(s.seed), seeds = s.seedCount;
    double seconds = 0, tolerance = s.tolerance * 100, agreement = s.agreement;
    if (!intOption(p, QStringLiteral("budget"), 1, budget) || !intOption(p, QStringLiteral("patience"), 0, patience)
        || !intOption(p, QStringLiteral("seed"), 0, seed) || !intOption(p, QStringLiteral("seeds"), 1, seeds)
        || !doubleOption(p, QStringLiteral("time-limit"), seconds) || !doubleOption(p, QStringLiteral("tolerance"), tolerance)
        || !doubleOption(p, QStringLiteral("agreement"), agreement))
        return false;
    if (agreement < 1) {
        err(QStringLiteral("--agreement: expected a factor >= 1, got '%1'").arg(p.value(QStringLiteral("agreement"))));
        return false;
    }
    s.budget = int(budget);
    s.patience = int(patience);
    s.seed = quint64(seed);
    s.seedCount = int(seeds);
    s.maxSeconds = seconds;
    s.tolerance = tolerance / 100.0;
    s.agreement = agreement;
    s.crossCheck = p.isSet(QStringLiteral("cross-check"));
    return true;
}

/// A's sessions: from --session of --db, or from --bundle. False after a message.
bool readSources(const QCommandLineParser& p, const QString& db, QVector<RefreshSource>& sources)
{
    const bool bundle = p.isSet(QStringLiteral("bundle")), sessions = p.isSet(QStringLiteral("session")),
               datasets = p.isSet(QStringLiteral("dataset"));
    if (int(bundle) + int(sessions) + int(datasets) != 1) {
        err(bundle || sessions || datasets ? QStringLiteral("--session, --bundle and --dataset: give one of them")
                   : QStringLiteral("--session IDS, --bundle FILE or --dataset IDS is required (the ladder tuned on the old platform)"));
        return false;
    }
    qint64 position = 0;
    if (!intOption(p, QStringLiteral("key-position"), 0, position))
        return false;
    if (datasets) {
        auto s = Refresh::fromRecorded(p.value(QStringLiteral("dataset")).split(QLatin1Char(','), Qt::SkipEmptyParts), int(position));
        if (!s) {
            err(s.error());
            return false;
        }
        sources = s.value();
        return true;
    }
    if (bundle) {
        const QString path = p.value(QStringLiteral("bundle"));
        auto read = Bundle::read(path);
        auto s = read ? Refresh::fromBundle(read.value(), path, p.value(QStringLiteral("from-gpu")))
                      : Result<QVector<RefreshSource>>(Error{read.error()});
        if (!s) {
            err(s.error());
            return false;
        }
        sources = s.value();
        return true;
    }
    QList<qint64> ids;
    if (!sessionIdsOption(p, ids))
        return false;
    auto store = openStoreForReading(db);
    if (!store)
        return false;
    auto s = Refresh::fromStore(*store, db, ids, int(position));
    if (!s) {
        err(s.error());
        return false;
    }
    sources = s.value();
    return true;
}

} // namespace

int Cli::refresh(const QStringList& args)
{
    QCommandLineParser p;
    p.addOption(databaseOption(QStringLiteral("Result database: the sessions of --session, and where the new sessions are stored (default %1).")
                                   .arg(defaultDatabase())));
    p.addOption({QStringLiteral("session"), QStringLiteral("The old platform's sessions, one per problem key (list or repeated)."), QStringLiteral("IDS")});
    p.addOption({QStringLiteral("bundle"), QStringLiteral("Instead of --session: the sessions of a bundle (.tar.gz)."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("dataset"), QStringLiteral("Instead of --session: recorded landscapes standing in for the old platform's sessions "
                                                           "(replay ids or dataset paths, comma-separated; never a worker)."), QStringLiteral("IDS")});
    p.addOption({QStringLiteral("from-gpu"), QStringLiteral("--bundle: the GPU whose sessions to refresh from, when it holds several."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("device"), QStringLiteral("The new platform: a device id (see `dejavu-tune devices`); with several keys a template "
                                                          "in which {key} (or {NAME} of --key-param) is replaced by each key."), QStringLiteral("DEVICE")});
    p.addOption({QStringLiteral("key-param"), QStringLiteral("Name of the key in the device template ({NAME}); default: {key} only."), QStringLiteral("NAME")});
    p.addOption({QStringLiteral("key-position"), QStringLiteral("--session, --dataset: position of the key in each problem (default 0)."), QStringLiteral("POS")});
    p.addOption({QStringLiteral("budget"), QStringLiteral("Evaluations per key at most (default 100)."), QStringLiteral("N")});
    p.addOption({QStringLiteral("time-limit"), QStringLiteral("Wall-time limit per key, seconds."), QStringLiteral("SEC")});
    p.addOption({QStringLiteral("seeds"), QStringLiteral("How many of the old best configurations of each key are measured first (default 5)."), QStringLiteral("N")});
    p.addOption({QStringLiteral("patience"), QStringLiteral("Stop a key once its best has not improved by more than --tolerance in this many evaluations "
                                                            "after the seeds (default %1; 0: run to the budget). Where the old platform proved misleading the search runs to the budget.")
                                                 .arg(RefreshStrategy::kDefaultPatience), QStringLiteral("N")});
    p.addOption({QStringLiteral("tolerance"), QStringLiteral("Percent: a smaller gain does not restart the patience (default %1).")
                                                  .arg(RefreshStrategy::kDefaultTolerance * 100), QStringLiteral("PCT")});
    p.addOption({QStringLiteral("agreement"), QStringLiteral("The old platform is trusted when time here / time there varies by at most this factor "
                                                             "over its best configurations (default %1); else the search starts cold.")
                                                  .arg(RefreshStrategy::kDefaultAgreement), QStringLiteral("X")});
    p.addOption({QStringLiteral("seed"), QStringLiteral("Random seed (default 1)."), QStringLiteral("S")});
    p.addOption({QStringLiteral("cross-check"), QStringLiteral("Only measure the old platform's best --seeds configurations of each key here "
                                                               "(no search): the two GPUs compared on the same configurations.")});
    p.addOption({QStringLiteral("json"), QStringLiteral("Print the report as JSON instead of a table.")});
    p.addOption({QStringLiteral("quiet"), QStringLiteral("No per-key lines on stderr.")});
    if (!parse(p, args, QStringLiteral("Re-tune a ladder tuned on one platform on another device, starting from what the first one knows.")))
        return kBadInput;
    RefreshSettings settings;
    if (!readSettings(p, settings))
        return kBadInput;
    if (!p.isSet(QStringLiteral("device"))) {
        // Never taken from the store or the bundle: a device id read from a file is data.
        err(QStringLiteral("--device is required: the device to refresh on (see `dejavu-tune devices`)"));
        return kBadInput;
    }
    const QString db = databasePath(p);
    QVector<RefreshSource> sources;
    if (!readSources(p, db, sources))
        return kBadInput;
    // Every device opens and is checked against its key before anything is stored.
    SignalGuard guard;
    auto plan = Refresh::prepare(sources, p.value(QStringLiteral("device")), p.value(QStringLiteral("key-param")), guard.flag());
    if (!plan) {
        err(plan.error());
        return guard.caught() ? guard.exitCode() : kBadInput;
    }
    const QStringList& deviceIds = plan->deviceIds;
    QDir().mkpath(QFileInfo(db).absolutePath());
    auto opened = ResultStore::open(db);
    if (!opened) {
        err(opened.error());
        return kBadInput;
    }
    ResultStore& store = *opened.value();
    QVector<RefreshRow> rows;
    int empty = 0;
    for (int i = 0; i < sources.size() && !guard.caught(); ++i) {
        auto row = Refresh::run(store, plan->devices[size_t(i)], deviceIds[i], sources[i], sources, settings,
                                [&](Session* s) { guard.setSession(s); });
        if (!row) {
            err(row.error());
            return kFailed;
        }
        empty += row->newBest ? 0 : 1;
        if (!p.isSet(QStringLiteral("quiet")))
            std::fprintf(stderr, "%s -> session %lld on %s: %s, %s in %s, %s (%s)\n", qPrintable(sources[i].origin), row->sessionId,
                         qPrintable(deviceIds[i]), qPrintable(RefreshStrategy::modeName(row->verdict.mode)),
                         qPrintable(Format::count(row->evaluations, QStringLiteral("evaluation"))),
                         qPrintable(Format::duration(row->seconds)), qPrintable(row->ended), qPrintable(row->verdict.why));
        rows.append(row.value());
    }
    if (p.isSet(QStringLiteral("json")))
        std::fputs(QJsonDocument(QJsonObject{{QStringLiteral("refresh"), Refresh::json(rows)}}).toJson().constData(), stdout);
    else
        std::fputs(qPrintable(Refresh::table(rows)), stdout);
    if (guard.caught()) {
        err(QStringLiteral("interrupted after %1 of %2 keys; the stopped session can be continued with tune --resume").arg(rows.size()).arg(sources.size()));
        return guard.exitCode();
    }
    if (empty > 0) {
        err(QStringLiteral("no configuration succeeded for %1").arg(Format::count(empty, QStringLiteral("key"))));
        return kNoResult;
    }
    return kOk;
}

} // namespace dv
