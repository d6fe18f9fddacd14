#pragma once

#include "Device.h"
#include "Result.h"

#include <QStringList>

#include <memory>

namespace dv {

/// Names and opens devices: the recorded datasets built into the program
/// ("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"), any Kernel Tuner cache file by path
/// ("replay:/data/my.json.gz" or just the path), and later GPU workers.
class DeviceRegistry {
public:
    struct Entry {
        QString id;
        QString deviceName;
        QString kernel;
        QString problem;
        qint64 configurations = 0;
        QString description;
    };

    /// The ids of the built-in replay datasets, sorted.
    static QStringList builtinReplayIds();
    /// Every device that can be opened without further arguments, with a short description.
    static Result<QVector<Entry>> list();
    /// Opens a device by id or by path to a Kernel Tuner cache file.
    static Result<std::unique_ptr<Device>> open(const QString& id);
    /// The licence notices of the shipped datasets (to be shown with them).
    static QString datasetNotices();
};

} // namespace dv
