#pragma once

#include "base/Result.h"
#include "export/VllmConfigExporter.h"

#include <QString>
#include <QStringList>
#include <QVector>

namespace dv::studio {

/// What an export wrote: a one-paragraph message and, for the deployment formats, the details
/// (the files per key and the coverage table of SessionExport).
struct ExportOutcome {
    QString message;
    QString details;
};

/// One export from the studio, in any format core writes: a session's trials (csv,
/// kerneltuner), a ladder of sessions in the files deployments load (dejavu, vllm, triton-cache:
/// core's SessionExport, as `dejavu-tune export`), or a bundle of sessions (core's Bundle: one
/// session per problem key and GPU, keyed by the first value of the problem). Files appear
/// atomically; on a refusal nothing is written. run() opens its own result-store connection,
/// so it may run in any thread (the export dialog runs it in the thread pool).
class ExportJob {
public:
    QString databasePath;
    QVector<qint64> sessionIds; ///< one for the trial formats; one or more for a ladder or a bundle
    QString format;
    QString path;               ///< the file, or the directory for dejavu, vllm and triton-cache
    QString deploymentFile;     ///< dejavu, triton-cache; empty: the values stored with the first session
    VllmMoeTarget vllm;         ///< vllm: E, N, dtype, block shape; empty device name: the sessions' GPU
    int keyPosition = 0;        ///< vllm: position of M in each session's problem
    bool force = false;         ///< replace an existing export file with different content

    /// Every format core writes (SessionExport::formats() and "bundle").
    static QStringList formats();
    /// Whether `format` takes several sessions (a ladder or a bundle does).
    static bool takesSeveralSessions(const QString& format);
    /// Whether `format` writes into a directory rather than one file.
    static bool writesDirectory(const QString& format);
    /// Whether `format` reads the deployment's Python-side values (dejavu, triton-cache).
    static bool usesDeployment(const QString& format);
    /// The file suffix a format's output usually has (".csv", ".json"); empty for a directory.
    static QString suffix(const QString& format);

    /// Writes the export; the message says what was written where, or the error is the core's.
    Result<ExportOutcome> run() const;
};

} // namespace dv::studio
