#include "ExportJob.h"

#include "ResultStore.h"
#include "TrialExporter.h"

#include <QFileInfo>
#include <QObject>

namespace dv::studio {

QStringList ExportJob::formats() { return TrialExporter::formats(); }

QString ExportJob::suffix(const QString& format)
{
    return format == QLatin1String("csv") ? QStringLiteral(".csv") : QStringLiteral(".json");
}

Result<QString> ExportJob::run() const
{
    if (!formats().contains(format))
        return Error{QObject::tr("unknown export format '%1' (known: %2)").arg(format, formats().join(QStringLiteral(", ")))};
    if (path.isEmpty())
        return Error{QObject::tr("no output file given")};
    if (!QFileInfo::exists(databasePath))
        return Error{QObject::tr("%1: no such result store").arg(databasePath)};
    auto store = ResultStore::open(databasePath);
    if (!store)
        return Error{store.error()};
    auto record = store.value()->session(sessionId);
    if (!record)
        return Error{record.error()};
    auto trials = store.value()->trials(sessionId);
    if (!trials)
        return Error{trials.error()};
    auto written = TrialExporter::write(format, record.value(), trials.value(), path);
    if (!written)
        return Error{written.error()};
    return QObject::tr("Wrote %n trial(s) of session %1 to %2", nullptr, int(trials->size())).arg(sessionId).arg(path);
}

} // namespace dv::studio
