#pragma once

#include "device/Device.h"
#include "device/KernelTunerCache.h"

#include <atomic>

namespace dv {

/// A device that answers from a recorded landscape (a Kernel Tuner cache file) instead of a GPU:
/// the recorded time for recorded configurations, the recorded failure for failed ones, and
/// `invalid` for anything the file does not contain.
class ReplayDevice : public Device {
public:
    /// `id` is how the user named it ("replay:h100/..." or a path); `source` the file for errors.
    static Result<std::unique_ptr<ReplayDevice>> open(const QString& id, const QByteArray& bytes,
                                                      const QString& source);

    DeviceInfo info() const override;
    const Workload& workload() const override;
    Measurement evaluate(const QJsonObject& config) override;
    bool repeatsExactly() const override { return true; }

    const KernelTunerCache& cache() const { return m_cache; }
    /// Adds a pause to every evaluation, to stand in for a real device's latency (demos, tests
    /// of interruption).
    void setSimulatedLatencyMs(int ms) { m_latencyMs = ms; }

private:
    ReplayDevice() = default;
    KernelTunerCache m_cache;
    DeviceInfo m_info;
    Workload m_workload;
    std::atomic<int> m_latencyMs{0};
};

} // namespace dv
