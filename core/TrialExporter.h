#pragma once

#include "ResultStore.h"
#include "Result.h"

#include <QByteArray>
#include <QStringList>

namespace dv {

/// Writes a session's trials in the formats other tools read.
class TrialExporter {
public:
    static QStringList formats() { return {QStringLiteral("csv"), QStringLiteral("kerneltuner"), QStringLiteral("t4")}; }

    /// One row per trial: sequence, parameters, status, objective, samples, compile time, error, times.
    static QByteArray toCsv(const SessionRecord& session, const QVector<Trial>& trials);
    /// A Kernel Tuner cache file holding each configuration of the session once; it loads back
    /// into the replay device with the same objectives and statuses.
    static Result<QByteArray> toKernelTuner(const SessionRecord& session, const QVector<Trial>& trials);

    /// The T4 results format of the auto-tuning community (schema 1.0.0, as Kernel Tuner's
    /// store_output_file writes it): one result per trial with its configuration, timestamp,
    /// times (compilation in ms, runtimes = the samples in ms), invalidity (correct, compile,
    /// runtime, timeout, correctness, constraints), correctness (0 only for a wrong result),
    /// measurements (time in ms) and objectives ["time"].
    static QByteArray toT4(const SessionRecord& session, const QVector<Trial>& trials);
    /// Checks a T4 results document against the schema's rules (required fields and types, the
    /// invalidity values); the error names the result and field.
    static Result<int> validateT4(const QByteArray& json, const QString& source);

    /// Renders `format` and writes it to `path` by SafeFile's rule (a regular file only,
    /// atomically; an existing file with other content only with `force`); a path ending in .gz
    /// is gzip-compressed; "-" is standard output.
    static Result<void> write(const QString& format, const SessionRecord& session, const QVector<Trial>& trials,
                              const QString& path, bool force = false);
};

} // namespace dv
