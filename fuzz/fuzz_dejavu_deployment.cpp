// triton-dejavu deployment files (docs/exports.md "deployment file", kernels/triton/deployment.py
// output with its "dejavu" member): `export --format dejavu --deployment FILE` and the stored
// device details of a session (DejavuDeployment::fromJson), then everything the exporter derives
// from them: storage identifier, function name, config strings, and a rendered cache file.
#include "FuzzSupport.h"

#include "base/JsonUtil.h"
#include "export/DejavuDeployment.h"
#include "export/DejavuExporter.h"
#include "export/TritonConfigText.h"

#include <QJsonDocument>

using namespace dv;

namespace {

void deployment(const QByteArray& json)
{
    auto d = DejavuDeployment::fromJson(json, QStringLiteral("deployment.json"));
    if (!d)
        return;
    DejavuExporter::storageIdentifier(d.value());
    DejavuExporter::functionName(d->signature);
    DejavuExporter::paramString(d->params);
    QJsonObject first;
    for (const QString& c : d->configs) {
        auto parsed = TritonConfigText::parseConfigString(c);
        if (parsed && first.isEmpty())
            first = parsed.value();
    }
    // One tuned key with the first config: render() reads the cache file back as the library does.
    DejavuEntry e;
    for (int i = 0; i < d->keys.size(); ++i)
        e.keyValues.append(QString::number(16 << i));
    e.config = first;
    e.measurement.status = Status::Ok;
    e.measurement.objectiveMs = 0.5;
    e.measurement.samplesMs = {0.5};
    e.deviceName = d->gpuName;
    if (auto file = DejavuExporter::render(d.value(), {e})) {
        const QStringList key = TritonConfigText::parseKeyString(
            TritonConfigText::keyString(e.keyValues + (d->ignoreDtypes ? QStringList() : d->argDtypes)), d->ignoreDtypes);
        if (!parseJsonObject(file->json, file->relativePath()))
            fuzz::invariant("a rendered cache.json is not JSON");
        Q_UNUSED(key);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray json = fuzz::bytes(data, size);
    deployment(json);
    // deployment.py prints the values under "dejavu"; the export reads that member when present.
    const QJsonObject whole = QJsonDocument::fromJson(json).object();
    if (whole.value(QLatin1String("dejavu")).isObject())
        deployment(QJsonDocument(whole.value(QLatin1String("dejavu")).toObject()).toJson());
    return 0;
}
