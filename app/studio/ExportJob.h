#pragma once

#include "Result.h"

#include <QString>
#include <QStringList>
#include <QVector>

namespace dv::studio {

/// One export from the studio: a stored session's trials in a format of core's TrialExporter,
/// or a bundle of sessions (core's Bundle: sessions, trials and best configurations in a
/// portable tar.gz, one session per problem key and GPU, keyed by the first value of the
/// problem), written atomically. run() opens its own result-store connection, so it may run in any thread
/// (the export dialog runs it in the thread pool).
class ExportJob {
public:
    QString databasePath;
    QVector<qint64> sessionIds; ///< one for the trial formats; one or more for a bundle
    QString format;
    QString path;

    /// The formats core can write for one session (TrialExporter::formats() and "bundle").
    static QStringList formats();
    /// Whether `format` takes several sessions (a bundle does).
    static bool takesSeveralSessions(const QString& format);
    /// The file suffix a format's output usually has (".csv", ".json").
    static QString suffix(const QString& format);

    /// Writes the file; the message says what was written where, or the core's error.
    Result<QString> run() const;
};

} // namespace dv::studio
