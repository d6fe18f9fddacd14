// vLLM fused-MoE config files ({"<M>": {BLOCK_SIZE_M: ...}, ...}), read with vLLM's rules when an
// export checks an existing file and when a bundle's exports are verified (VllmConfigExporter::parse).
#include "FuzzSupport.h"

#include "export/VllmConfigExporter.h"

using namespace dv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto configs = VllmConfigExporter::parse(fuzz::bytes(data, size), QStringLiteral("E=8,N=14336.json"));
    if (!configs)
        return 0;
    for (qint64 m : {qint64(1), qint64(17), qint64(4096), std::numeric_limits<qint64>::max(), std::numeric_limits<qint64>::min()})
        if (!configs->contains(VllmConfigExporter::nearestKey(configs.value(), m)))
            fuzz::invariant("nearestKey() is not a key of the file");
    // The entries written again as an export: render() reads its own output back with the same rules.
    VllmMoeTarget target;
    target.experts = 8;
    target.n = 14336;
    target.deviceName = QStringLiteral("NVIDIA H100 80GB HBM3");
    QVector<VllmEntry> entries;
    for (auto it = configs->begin(); it != configs->end(); ++it) {
        VllmEntry e;
        e.m = it.key();
        e.config = it.value();
        e.measurement.status = Status::Ok;
        e.measurement.objectiveMs = 1.0;
        e.measurement.samplesMs = {1.0};
        e.deviceName = target.deviceName;
        entries.append(e);
    }
    VllmConfigExporter::render(target, entries);
    return 0;
}
