// Kernel Tuner cache files (plain or gzip JSON): a dataset from a colleague or the web is opened as
// a replay device (KernelTunerCache::parse, ReplayDevice).
#include "FuzzSupport.h"

#include "device/KernelTunerCache.h"

using namespace dv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto cache = KernelTunerCache::parse(fuzz::bytes(data, size), QStringLiteral("fuzz.json"));
    if (!cache)
        return 0;
    // What we read we can write, and what we write reads back as the same landscape.
    const QByteArray written = cache->toJson();
    auto back = KernelTunerCache::parse(written, QStringLiteral("written.json"));
    if (!back)
        fuzz::invariant("a cache read back from its own toJson() is refused:", back.error());
    if (back->space.size() != cache->space.size() || back->measurements.size() != cache->measurements.size())
        fuzz::invariant("toJson() changed the number of configurations");
    for (qint64 i = 0; i < cache->space.size() && i < 64; ++i) {
        if (back->space.key(i) != cache->space.key(i) || back->measurements[size_t(i)].status != cache->measurements[size_t(i)].status)
            fuzz::invariant("toJson() changed configuration", cache->space.key(i));
    }
    return 0;
}
