#pragma once

#include "base/Result.h"
#include "device/Measurement.h"
#include "space/ConfigSpace.h"

#include <QIODevice>
#include <QJsonValue>

#include <vector>

namespace dv {

/// A Kernel Tuner cache file (https://kerneltuner.github.io cache format): a header
/// (device_name, kernel_name, problem_size, tune_params_keys, tune_params) and one entry per
/// configuration that was tried. Failed entries hold a string in "time"; combinations absent
/// from "cache" were excluded by the kernel's constraints, so the space is exactly the keys present.
class KernelTunerCache {
public:
    /// Reads plain or gzip-compressed JSON. Errors name `source` and the offending entry/field.
    static Result<KernelTunerCache> parse(const QByteArray& bytes, const QString& source);
    static Result<KernelTunerCache> read(QIODevice& device, const QString& source);

    QString deviceName;
    QString kernelName;
    QJsonValue problemSize;
    /// The recorded configurations as a space (parameters in tune_params_keys order).
    ConfigSpace space;
    /// One measurement per space index.
    std::vector<Measurement> measurements;
    /// The header fields we do not interpret, kept so that a written file round-trips.
    QJsonObject extraHeader;

    /// Maps Kernel Tuner's failure strings to statuses; nullopt for unknown strings.
    static std::optional<Status> statusFromFailure(const QString& text);
    /// The Kernel Tuner failure string that best describes a non-ok status.
    static QString failureFor(Status status);

    /// The file's JSON text (uncompressed). Entries are written in space order.
    QByteArray toJson() const;
};

} // namespace dv
