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

bool ExportJob::takesSeveralSessions(const QString& format) { return format == kBundle; }

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
    if (sessionIds.isEmpty())
        return Error{QObject::tr("no session selected")};
    if (sessionIds.size() > 1 && !takesSeveralSessions(format))
        return Error{QObject::tr("%1 exports one session; %2 are selected").arg(format).arg(sessionIds.size())};
    if (!QFileInfo::exists(databasePath))
        return Error{QObject::tr("%1: no such result store").arg(databasePath)};
    auto store = ResultStore::open(databasePath);
    if (!store)
        return Error{store.error()};
    if (format == kBundle) {
        // Keyed by the first value of each session's problem; the file dialog has asked before
        // replacing a file, as the trial formats replace theirs.
        auto bundle = Bundle::fromSessions(*store.value(), sessionIds, 0, QString(), {});
        if (!bundle)
            return Error{bundle.error()};
        auto written = bundle->write(path, true);
        if (!written)
            return Error{written.error()};
        QStringList gpus;
        for (const BundleEntry& e : bundle->manifest.entries) {
            if (!gpus.contains(e.gpu))
                gpus.append(e.gpu);
        }
        return QObject::tr("Wrote a bundle of %n session(s) (%1 on %2) to %3", nullptr, int(sessionIds.size()))
            .arg(bundle->manifest.kernel, gpus.join(QStringLiteral(", ")), path);
    }
    const qint64 sessionId = sessionIds.first();
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
