#include "run/CrossCheckJob.h"

#include "session/ResultStore.h"

namespace dv::studio {

Result<QStringList> CrossCheckJob::run() const
{
    auto store = ResultStore::open(databasePath);
    if (!store)
        return Error{store.error()};
    auto opened = CrossCheck::openDevices(*store.value(), targets, devices);
    if (!opened)
        return Error{opened.error()};
    QStringList lines;
    for (int k = 0; k < targets.size(); ++k) {
        const CrossCheckTarget& t = targets[k];
        auto ran = CrossCheck::run(*store.value(), t, opened.value()[size_t(k)], devices.value(t.sessionId).trimmed());
        if (!ran)
            return Error{ran.error()};
        lines.append(QStringLiteral("%1: %2 configuration(s) of %3 measured (session %4)")
                         .arg(t.name).arg(t.configs.size()).arg(t.from.join(QStringLiteral(", "))).arg(ran.value()));
    }
    return lines;
}

} // namespace dv::studio
