#include "run/RefreshJob.h"

#include "export/Bundle.h"

#include <QDir>
#include <QFileInfo>

namespace dv::studio {

Result<QVector<RefreshRow>> RefreshJob::run() const
{
    Result<QVector<RefreshSource>> sources = Error{QStringLiteral("give the sessions of a ladder or a bundle")};
    if (!sessionIds.isEmpty()) {
        auto store = ResultStore::openForReading(databasePath);
        if (!store)
            return Error{store.error()};
        sources = Refresh::fromStore(*store.value(), databasePath, sessionIds, keyPosition);
    } else if (!bundlePath.isEmpty()) {
        auto bundle = Bundle::read(bundlePath);
        sources = bundle ? Refresh::fromBundle(bundle.value(), bundlePath) : Result<QVector<RefreshSource>>(Error{bundle.error()});
    }
    if (!sources)
        return Error{sources.error()};
    if (deviceTemplate.trimmed().isEmpty())
        return Error{QStringLiteral("give the device to refresh on")};
    auto plan = Refresh::prepare(sources.value(), deviceTemplate.trimmed());
    if (!plan)
        return Error{plan.error()};
    QDir().mkpath(QFileInfo(databasePath).absolutePath());
    auto store = ResultStore::open(databasePath);
    if (!store)
        return Error{store.error()};
    QVector<RefreshRow> rows;
    for (int i = 0; i < plan->sources.size(); ++i) {
        auto row = Refresh::run(*store.value(), plan->devices[size_t(i)], plan->deviceIds[i], plan->sources[i], plan->sources, settings);
        if (!row)
            return Error{row.error()};
        rows.append(row.value());
    }
    return rows;
}

} // namespace dv::studio
