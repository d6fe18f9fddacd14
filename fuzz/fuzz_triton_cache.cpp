// Triton autotune cache exports: the deployment description (kernels/triton/deployment.py's
// "triton_cache" object, TritonCacheDeployment::fromJson) and an existing `<fn>.autotune.json` read
// with the autotuner's rules (TritonCacheExporter::readBack). The input is the deployment, then a
// line "---", then the cache file.
#include "FuzzSupport.h"

#include "export/TritonCacheExporter.h"

using namespace dv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto [deploymentJson, cacheJson] = fuzz::splitOnce(fuzz::bytes(data, size), QByteArrayLiteral("\n---\n"));
    auto d = TritonCacheDeployment::fromJson(deploymentJson, QStringLiteral("deployment.json"));
    if (!d)
        return 0;
    TritonCacheExporter::readBack(d.value(), cacheJson);
    QJsonObject config;
    for (const QString& c : d->configs) {
        auto pairs = TritonCacheExporter::parseConfigString(c);
        if (!pairs || !config.isEmpty())
            continue;
        for (const auto& [name, text] : pairs.value()) {
            bool number = false;
            const qint64 v = text.toLongLong(&number);
            config.insert(name, number ? QJsonValue(double(v)) : QJsonValue(text));
        }
    }
    // One tuned key with the first config: render() reads every file back with readBack() itself.
    TritonCacheEntry e;
    e.keyValues = d->check ? d->check->keyValues : QVector<qint64>(d->keyNames.size(), 4096);
    e.config = config;
    e.measurement.status = Status::Ok;
    e.measurement.objectiveMs = 0.25;
    e.measurement.samplesMs = {0.25, 0.26};
    e.deviceName = d->gpuName;
    if (auto files = TritonCacheExporter::render(d.value(), {e})) {
        for (const TritonCacheFile& f : files.value()) {
            auto back = TritonCacheExporter::readBack(d.value(), f.json);
            if (!back || back.value() != f.configString)
                fuzz::invariant("a rendered cache file does not restore its config");
        }
    }
    return 0;
}
