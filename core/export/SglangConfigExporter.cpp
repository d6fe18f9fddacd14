#include "export/SglangConfigExporter.h"

#include "base/JsonUtil.h"
#include "base/SafeFile.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

namespace dv {

QStringList SglangConfigExporter::knownDtypes()
{
    return {QStringLiteral("fp8_w8a8"), QStringLiteral("int8_w8a8"), QStringLiteral("int8_w8a16"), QStringLiteral("int4_w4a16"),
            QStringLiteral("float32")};
}

QString SglangConfigExporter::deviceNameForFile(const QString& deviceName)
{
    QString name = deviceName;
    name.replace(QLatin1Char(' '), QLatin1Char('_'));
    return name;
}

Result<QString> SglangConfigExporter::versionFolder(const QString& tritonVersion)
{
    static const QRegularExpression numeric(QStringLiteral("^\\d{1,6}(\\.\\d{1,6}){1,3}$"));
    if (!numeric.match(tritonVersion).hasMatch())
        return Error{QStringLiteral("triton version '%1': sglang's folder is triton_X_Y_Z of a release version (numbers and dots); "
                                    "give the release this build corresponds to with --triton-version")
                         .arg(clip(tritonVersion))};
    return QString(QStringLiteral("triton_") + QString(tritonVersion).replace(QLatin1Char('.'), QLatin1Char('_')));
}

QString SglangConfigExporter::tritonVersionOf(const QString& toolchain)
{
    // WorkerProtocol::toolchainText: "<backend>, <name> <version>, ...".
    static const QRegularExpression triton(QStringLiteral("(?:^|, )triton ([^,\\s]+)(?:,|$)"));
    const QRegularExpressionMatch m = triton.match(toolchain);
    return m.hasMatch() ? m.captured(1) : QString();
}

Result<QString> SglangConfigExporter::fileName(const VllmMoeTarget& t)
{
    // The parts sglang and vLLM share (E, N, the device, a known dtype) are checked by vLLM's
    // rules with this dtype list; only the block shape's text differs.
    if (t.experts < 1)
        return Error{QStringLiteral("E: expected the number of experts (>= 1), got %1").arg(t.experts)};
    if (t.n < 1)
        return Error{QStringLiteral("N: expected w2's intermediate size per shard (>= 1), got %1").arg(t.n)};
    if (t.deviceName.trimmed().isEmpty())
        return Error{QStringLiteral("device_name: missing (the name torch.cuda.get_device_name() reports)")};
    if (t.deviceName.contains(QLatin1Char('/')) || t.deviceName.contains(QLatin1Char('\\')) || t.deviceName != t.deviceName.trimmed())
        return Error{QStringLiteral("device_name: '%1' cannot be part of a file name sglang finds").arg(clip(t.deviceName))};
    QString name = QStringLiteral("E=%1,N=%2,device_name=%3").arg(t.experts).arg(t.n).arg(deviceNameForFile(t.deviceName));
    if (!t.dtype.isEmpty()) {
        if (!knownDtypes().contains(t.dtype))
            return Error{QStringLiteral("dtype: '%1' is none of the names sglang looks up (%2; none for fp16/bf16)")
                             .arg(clip(t.dtype), knownDtypes().join(QStringLiteral(", ")))};
        name += QStringLiteral(",dtype=") + t.dtype;
    }
    if (!t.blockShape.isEmpty()) {
        if (t.blockShape.size() != 2 || t.blockShape[0] < 1 || t.blockShape[1] < 1)
            return Error{QStringLiteral("block_shape: expected two positive integers [block_n, block_k]; sglang drops a shape with "
                                        "a zero and would look for another file")};
        if (t.dtype.isEmpty() || t.dtype == QLatin1String("float32"))
            return Error{QStringLiteral("block_shape: only block-quantised layers (a quantised dtype) look up a block_shape")};
        name += QStringLiteral(",block_shape=[%1, %2]").arg(t.blockShape[0]).arg(t.blockShape[1]); // str(list)
    }
    return QString(name + QStringLiteral(".json"));
}

Result<QString> SglangConfigExporter::relativePath(const VllmMoeTarget& t)
{
    auto folder = versionFolder(t.tritonVersion);
    if (!folder)
        return Error{folder.error()};
    auto name = fileName(t);
    if (!name)
        return Error{name.error()};
    return QStringLiteral("configs/%1/%2").arg(folder.value(), name.value());
}

Result<void> SglangConfigExporter::checkLayer(const VllmMoeTarget& t, const VllmMoeProblem& layer)
{
    // vLLM's check with the name's N as vLLM computes it: for int4_w4a16 vLLM doubles w2's packed
    // dimension and sglang does not, so sglang's name carries half of vLLM's N.
    VllmMoeTarget asVllm = t;
    if (t.dtype == QLatin1String("int4_w4a16"))
        asVllm.n = 2 * t.n;
    if (auto fits = VllmConfigExporter::checkLayer(asVllm, layer); !fits) {
        if (fits.error().startsWith(QLatin1String("N:")))
            return Error{QStringLiteral("N: the session tuned N=%1, the file is for N=%2%3").arg(layer.n).arg(t.n)
                             .arg(t.dtype == QLatin1String("int4_w4a16") ? QStringLiteral(" (sglang's int4_w4a16 name carries half of N)") : QString())};
        return fits;
    }
    return {};
}

Result<QByteArray> SglangConfigExporter::render(const VllmMoeTarget& t, const QVector<VllmEntry>& entries)
{
    const auto path = relativePath(t);
    if (!path)
        return Error{path.error()};
    auto body = VllmConfigExporter::collect(entries, t.deviceName, &deviceNameForFile, QStringLiteral("sglang"));
    if (!body)
        return Error{body.error()};
    const QByteArray json = VllmConfigExporter::bodyText(body.value(), QString()); // int() of every key: no triton_version
    // Read back as sglang does: json.load, then int() of every key.
    auto root = parseJsonObject(json, path.value());
    if (!root)
        return Error{root.error()};
    if (root->contains(QLatin1String("triton_version")))
        return Error{QStringLiteral("%1: \"triton_version\" would fail sglang's int()").arg(path.value())};
    auto back = VllmConfigExporter::parse(json, path.value());
    if (!back)
        return Error{back.error()};
    if (auto same = VllmConfigExporter::checkReadBack(body.value(), back.value(), path.value()); !same)
        return Error{same.error()};
    return json;
}

Result<QString> SglangConfigExporter::write(const VllmMoeTarget& t, const QVector<VllmEntry>& entries, const QString& dir, bool force)
{
    const auto relative = relativePath(t);
    if (!relative)
        return Error{relative.error()};
    const auto json = render(t, entries);
    if (!json)
        return Error{json.error()};
    const QString path = QDir(dir).filePath(relative.value());
    // Checked before any folder is created: a refusal leaves nothing behind.
    auto plan = SafeFile::checkBelow(dir, relative.value(), json.value(), force);
    if (!plan)
        return Error{plan.error()};
    if (plan.value() == SafeFile::Plan::Keep)
        return path;
    if (!QDir().mkpath(QFileInfo(path).path()))
        return Error{QStringLiteral("%1: cannot create the directory").arg(QFileInfo(path).path())};
    if (auto written = SafeFile::write(path, json.value(), force); !written)
        return Error{written.error()};
    return path;
}

} // namespace dv
