// The JSON members of a bundle: manifest.json (BundleManifest::fromJson) and sessions/<n>.json
// (Bundle::parseSession), reached here directly because the archive's checksums keep mutated JSON
// from getting past Bundle::fromArchive.
#include "FuzzSupport.h"

#include "export/Bundle.h"

using namespace dv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray input = fuzz::bytes(data, size);
    if (auto manifest = BundleManifest::fromJson(input)) {
        auto back = BundleManifest::fromJson(manifest->toJson());
        if (!back)
            fuzz::invariant("a manifest read back from its own toJson() is refused:", back.error());
        if (back->entries.size() != manifest->entries.size() || back->members.size() != manifest->members.size())
            fuzz::invariant("a manifest changed on the way back");
    }
    if (auto session = Bundle::parseSession(input, QStringLiteral("sessions/1.json"))) {
        auto back = Bundle::parseSession(Bundle::sessionJson(session->first, session->second), QStringLiteral("written.json"));
        if (!back)
            fuzz::invariant("a session member read back from sessionJson() is refused:", back.error());
        if (back->second.size() != session->second.size())
            fuzz::invariant("a session member changed its trials on the way back");
    }
    return 0;
}
