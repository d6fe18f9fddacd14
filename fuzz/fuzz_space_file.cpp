// Space files (docs/space-format.md): `dejavu-tune space FILE`, `tune --space FILE`, the studio's
// space editor, and the space a session keeps in the store (ConfigSpace::fromJson, SpaceRestriction).
#include "FuzzSupport.h"

#include "space/ConfigSpace.h"
#include "space/SpaceRestriction.h"

#include <QJsonDocument>

using namespace dv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto space = ConfigSpace::fromJson(fuzz::bytes(data, size), QStringLiteral("space.json"));
    if (!space)
        return 0;
    // Every valid configuration is found again by its values, and keys are unique.
    for (qint64 i = 0; i < space->size() && i < 256; ++i) {
        const QJsonObject config = space->config(i);
        if (space->indexOf(config) != i)
            fuzz::invariant("indexOf(config(i)) != i for", space->key(i));
    }
    // The space as written reads back as the same space, and narrows its own device to itself.
    const QJsonObject written = space->toJson();
    auto back = ConfigSpace::fromJson(QJsonDocument(written).toJson(), QStringLiteral("written.json"));
    if (!back)
        fuzz::invariant("a space read back from its own toJson() is refused:", back.error());
    if (back->size() != space->size())
        fuzz::invariant("toJson() changed the number of valid configurations");
    if (space->size() > 0) {
        auto narrowed = SpaceRestriction::apply(space.value(), written, QStringLiteral("narrow.json"));
        if (!narrowed)
            fuzz::invariant("a space does not narrow itself:", narrowed.error());
        if (narrowed->size() != space->size())
            fuzz::invariant("narrowing a space by itself changed its size");
    }
    return 0;
}
