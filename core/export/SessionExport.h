#pragma once

#include "base/Result.h"
#include "export/DejavuDeployment.h"
#include "export/TritonCacheExporter.h"
#include "export/TuningLadder.h"
#include "export/VllmConfigExporter.h"
#include "session/ResultStore.h"

#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

#include <utility>

namespace dv {

/// What to export from a result store (docs/exports.md): the trial formats write one session,
/// the deployment formats a ladder of sessions, one tuned entry per problem key.
struct SessionExportOptions {
    QString format;               ///< csv, kerneltuner, dejavu, vllm, sglang, triton-cache
    /// Empty: the newest session; for the deployment formats every session of the newest
    /// session's kernel and GPU (oldest first).
    QVector<qint64> sessionIds;
    QString out;                  ///< the file (trial formats; "-": standard output) or the directory to write into
    /// dejavu, triton-cache: the Python-side values as kernels/triton/deployment.py prints them;
    /// empty: those the Triton worker stored with the first session (`device.details.deployment`).
    QString deploymentFile;
    /// vllm, sglang: E, N, dtype, block shape, triton version (sglang: the folder's, when the
    /// sessions' toolchain records none); an empty device name means the sessions' GPU.
    VllmMoeTarget vllm;
    int keyPosition = 0;          ///< vllm, sglang: position of M in each session's problem
    bool force = false;           ///< replace an existing file with different content (every format)
};

/// What an export wrote, for the CLI's and the studio's messages.
struct SessionExportSummary {
    QString format;
    QVector<qint64> sessionIds;   ///< the sessions exported, oldest first
    QString written;              ///< the file written (trial formats, vllm, dejavu's cache.json) or the directory
    int trials = 0;               ///< trial formats: rows written
    int keys = 0;                 ///< deployment formats: tuned keys written
    QStringList files;            ///< triton-cache: "<key tuple>: <config> -> <relative path>" per file
    QStringList warnings;         ///< things that will work but deserve a look (dejavu on Triton >= 3.4)
    QString coverageLookup;       ///< deployment formats: "nearest M" or "exact key"
    QString coverage;             ///< deployment formats: TuningLadder::coverageTable of the keys 1, 2, 4, ... up to the largest

    /// The lines `dejavu-tune export` prints on success (without the warnings).
    QString text() const;
};

/// The exports of stored sessions in every format core writes, shared by `dejavu-tune export`
/// and the studio's File > Export…: reads the inputs (deployment values, the sessions' trials,
/// replayed landscapes for the coverage), builds the ladder and hands it to the exporter. The
/// exporters validate everything before writing; on any refusal nothing is written.
class SessionExport {
public:
    /// Why run() failed: bad input (nothing written; the CLI exits 2) or a failure while writing.
    enum class Failure { None, BadInput, Failed };

    static QStringList trialFormats();
    static QStringList deploymentFormats();
    static QStringList formats();
    static bool isDeploymentFormat(const QString& format);
    /// dejavu and triton-cache need the deployment's Python-side values.
    static bool needsDeployment(const QString& format);

    explicit SessionExport(SessionExportOptions options);

    /// Checks the options and reads the inputs that need no result store (the deployment file).
    /// run() calls it when it has not been called; callers that want these errors before they
    /// open a database call it first.
    Result<void> prepare();
    /// Exports the sessions of `store`.
    Result<SessionExportSummary> run(ResultStore& store);

    Failure failure() const { return m_failure; }
    /// Warnings collected so far (also when run() failed later).
    const QStringList& warnings() const { return m_warnings; }

private:
    Error bad(const QString& message);
    Error failed(const QString& message);
    Result<void> readDeployment(QByteArray bytes, const QString& source);
    /// A stored session and its trials; a missing session is bad input, an unreadable store a failure.
    Result<std::pair<SessionRecord, QVector<Trial>>> load(ResultStore& store, qint64 id);
    Result<SessionExportSummary> exportTrials(ResultStore& store, qint64 id);
    Result<SessionExportSummary> exportLadder(ResultStore& store, const QVector<qint64>& ids);
    /// What each ladder key stands for: the dejavu key values, the autotuner key values, the GPU.
    struct LadderKeys {
        QMap<qint64, QStringList> keyValues;
        QMap<qint64, QVector<qint64>> tritonKeys;
        QMap<qint64, QString> deviceOf;
        QMap<qint64, std::pair<QString, QString>> kernelProblem; ///< the first session's kernel and problem
    };
    /// Renders the ladder's rungs in the deployment format and writes them; the summary gets the
    /// warnings and files. Errors come classified (bad input or failure).
    Result<QString> writeLadder(const TuningLadder& ladder, const LadderKeys& keys, SessionExportSummary& summary);
    /// sglang: checks the Triton version `record`'s toolchain records against the one already
    /// chosen (--triton-version or an earlier session) and keeps it.
    Result<void> sglangTriton(const SessionRecord& record, const QString& origin);

    SessionExportOptions m_options;
    bool m_prepared = false;
    bool m_haveDeployment = false;
    QString m_deploymentSource;
    DejavuDeployment m_dejavu;
    TritonCacheDeployment m_triton;
    Failure m_failure = Failure::None;
    QStringList m_warnings;
    QString m_sglangTriton;     ///< sglang: the Triton version of the folder
    QString m_sglangTritonFrom; ///< the session it was read from (empty: --triton-version)
};

} // namespace dv
