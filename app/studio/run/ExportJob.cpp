#include "run/ExportJob.h"

#include "export/Bundle.h"
#include "export/SessionExport.h"
#include "session/ResultStore.h"

#include <QFileInfo>
#include <QObject>

namespace dv::studio {

namespace {
const QString kBundle = QStringLiteral("bundle");
}

QStringList ExportJob::formats() { return SessionExport::formats() << kBundle; }

bool ExportJob::takesSeveralSessions(const QString& format) { return format == kBundle || SessionExport::isDeploymentFormat(format); }

bool ExportJob::writesDirectory(const QString& format) { return SessionExport::isDeploymentFormat(format); }

bool ExportJob::usesDeployment(const QString& format) { return SessionExport::needsDeployment(format); }

QString ExportJob::suffix(const QString& format)
{
    if (format == kBundle)
        return QStringLiteral(".tar.gz");
    if (writesDirectory(format))
        return QString();
    return format == QLatin1String("csv") ? QStringLiteral(".csv") : QStringLiteral(".json");
}

Result<ExportOutcome> ExportJob::run() const
{
    if (!formats().contains(format))
        return Error{QObject::tr("unknown export format '%1' (known: %2)").arg(format, formats().join(QStringLiteral(", ")))};
    if (path.isEmpty())
        return Error{writesDirectory(format) ? QObject::tr("no output directory given") : QObject::tr("no output file given")};
    if (sessionIds.isEmpty())
        return Error{QObject::tr("no session selected")};
    if (sessionIds.size() > 1 && !takesSeveralSessions(format))
        return Error{QObject::tr("%1 exports one session; %2 are selected").arg(format).arg(sessionIds.size())};
    if (!QFileInfo::exists(databasePath))
        return Error{QObject::tr("%1: no such result store").arg(databasePath)};
    if (format == kBundle) {
        auto store = ResultStore::openForReading(databasePath);
        if (!store)
            return Error{store.error()};
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
        return ExportOutcome{QObject::tr("Wrote a bundle of %n session(s) (%1 on %2) to %3", nullptr, int(sessionIds.size()))
                                 .arg(bundle->manifest.kernel, gpus.join(QStringLiteral(", ")), path),
                             QString()};
    }
    SessionExportOptions options;
    options.format = format;
    options.sessionIds = sessionIds;
    options.out = path;
    options.deploymentFile = usesDeployment(format) ? deploymentFile : QString();
    options.vllm = vllm;
    options.keyPosition = keyPosition;
    options.force = force;
    SessionExport exporter(options);
    // The deployment file is read before the store is opened, as the command line does.
    if (auto prepared = exporter.prepare(); !prepared)
        return Error{prepared.error()};
    auto store = ResultStore::openForReading(databasePath);
    if (!store)
        return Error{store.error()};
    auto done = exporter.run(*store.value());
    if (!done) {
        // The exporters name the command line's option; here it is the dialog's box.
        QString error = done.error();
        error.replace(QStringLiteral("pass --force to replace it"), QObject::tr("tick \u201cReplace existing files that differ\u201d to replace it"));
        return Error{error};
    }
    const SessionExportSummary& s = done.value();
    ExportOutcome outcome;
    if (!SessionExport::isDeploymentFormat(format)) {
        outcome.message = QObject::tr("Wrote %n trial(s) of session %1 to %2", nullptr, s.trials).arg(s.sessionIds.value(0)).arg(s.written);
        return outcome;
    }
    outcome.message = QObject::tr("Wrote %n tuned key(s) from %1 session(s) to %2", nullptr, s.keys).arg(s.sessionIds.size()).arg(s.written);
    for (const QString& w : s.warnings)
        outcome.message += QLatin1Char('\n') + QObject::tr("Warning: %1").arg(w);
    if (!s.files.isEmpty())
        outcome.details = s.files.join(QLatin1Char('\n')) + QLatin1Char('\n');
    outcome.details += QObject::tr("Coverage (%1):").arg(s.coverageLookup) + QLatin1Char('\n') + s.coverage;
    return outcome;
}

} // namespace dv::studio
