// Bundle archives (tar.gz or zip, libarchive): `bundle inspect|verify|import|merge` read files a
// colleague sent. Bundle::fromArchive checks entry types and paths, sizes, the manifest, every
// checksum and every session member before anything is used.
#include "FuzzSupport.h"

#include "export/Bundle.h"

using namespace dv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto bundle = Bundle::fromArchive(fuzz::bytes(data, size), QStringLiteral("fuzz.tar.gz"));
    if (!bundle)
        return 0;
    // What was accepted writes out and reads back as the same bundle.
    auto archive = bundle->toArchive();
    if (!archive)
        fuzz::invariant("an accepted bundle cannot be written:", archive.error());
    auto back = Bundle::fromArchive(archive.value(), QStringLiteral("written.tar.gz"));
    if (!back)
        fuzz::invariant("a written bundle is refused:", back.error());
    if (back->members != bundle->members || back->manifest.contentSha256 != bundle->manifest.contentSha256)
        fuzz::invariant("a bundle changed on the way back");
    return 0;
}
