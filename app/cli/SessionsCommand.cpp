// `dejavu-tune sessions`: the sessions of a result database.
#include "Cli.h"

#include "CliSupport.h"
#include "base/Format.h"
#include "session/ResultStore.h"

#include <QCommandLineParser>

namespace dv {

using namespace cli;

int Cli::sessions(const QStringList& args)
{
    QCommandLineParser p;
    p.addOption(databaseOption(QStringLiteral("Result database (default %1).").arg(defaultDatabase())));
    if (!parse(p, args, QStringLiteral("List the sessions of a result database.")))
        return kBadInput;
    const QString db = databasePath(p);
    auto store = openStoreForReading(db);
    if (!store)
        return kBadInput;
    auto list = store->sessions();
    if (!list) {
        err(list.error());
        return kFailed;
    }
    out(QStringLiteral("%1  %2  %3  %4  %5  %6").arg(QStringLiteral("id"), 4).arg(QStringLiteral("state"), -9)
            .arg(QStringLiteral("evals"), 6).arg(QStringLiteral("best"), 10).arg(QStringLiteral("strategy"), -8)
            .arg(QStringLiteral("kernel / device")));
    for (const SessionRecord& r : list.value()) {
        out(QStringLiteral("%1  %2  %3  %4  %5  %6 on %7").arg(r.id, 4).arg(r.state, -9).arg(r.trialCount, 6)
                .arg(r.bestMs ? Format::time(*r.bestMs) : QStringLiteral("-"), 10).arg(r.strategy, -8)
                .arg(r.kernel, r.device.id));
    }
    return kOk;
}

} // namespace dv
