#pragma once

#include "Result.h"

#include <QString>
#include <QStringList>

namespace dv::studio {

/// One export from the studio: a stored session's trials in a format of core's TrialExporter,
/// or a bundle of the session (core's Bundle: session, trials and best configuration in a
/// portable tar.gz, keyed by the first value of its problem), written atomically. run() opens its own result-store connection, so it may run in any thread
/// (the export dialog runs it in the thread pool).
class ExportJob {
public:
    QString databasePath;
    qint64 sessionId = 0;
    QString format;
    QString path;

    /// The formats core can write for one session (TrialExporter::formats() and "bundle").
    static QStringList formats();
    /// The file suffix a format's output usually has (".csv", ".json").
    static QString suffix(const QString& format);

    /// Writes the file; the message says what was written where, or the core's error.
    Result<QString> run() const;
};

} // namespace dv::studio
