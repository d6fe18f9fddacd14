#include "ExportJob.h"

#include "Bundle.h"
#include "ResultStore.h"
#include "TrialExporter.h"

#include <QFileInfo>
#include <QObject>

namespace dv::studio {

namespace {
const QString kBundle = QStringLiteral("bundle");
}

QStringList ExportJob::formats() { return TrialExporter::formats() << kBundle; }

QString ExportJob::suffix(const QString& format)
{
    if (format == kBundle)
        return QStringLiteral(".tar.gz");
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
    if (format == kBundle) {
        // One session, keyed by the first value of its problem; the file dialog has asked
        // before replacing a file, as the trial formats replace theirs.
        auto bundle = Bundle::fromSessions(*store.value(), {sessionId}, 0, QString(), {});
        if (!bundle)
            return Error{bundle.error()};
        auto written = bundle->write(path, true);
        if (!written)
            return Error{written.error()};
        return QObject::tr("Wrote a bundle of session %1 (%2, best %3 ms) to %4")
            .arg(sessionId)
            .arg(bundle->manifest.kernel)
            .arg(bundle->manifest.entries.value(0).bestMs, 0, 'g', 5)
            .arg(path);
    }
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
