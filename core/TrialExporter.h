#pragma once

#include "ResultStore.h"
#include "Result.h"

#include <QByteArray>
#include <QStringList>

namespace dv {

/// Writes a session's trials in the formats other tools read.
class TrialExporter {
public:
    static QStringList formats() { return {QStringLiteral("csv"), QStringLiteral("kerneltuner")}; }

    /// One row per trial: sequence, parameters, status, objective, samples, compile time, error, times.
    static QByteArray toCsv(const SessionRecord& session, const QVector<Trial>& trials);
    /// A Kernel Tuner cache file holding each configuration of the session once; it loads back
    /// into the replay device with the same objectives and statuses.
    static Result<QByteArray> toKernelTuner(const SessionRecord& session, const QVector<Trial>& trials);

    /// Renders `format` and writes it to `path` atomically (a failure leaves no partial file);
    /// a path ending in .gz is gzip-compressed.
    static Result<void> write(const QString& format, const SessionRecord& session, const QVector<Trial>& trials,
                              const QString& path);
};

} // namespace dv
