#include "export/VllmConfigExporter.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <limits>

using namespace dv;

Q_DECLARE_METATYPE(VllmMoeTarget)

namespace {

const QString kH100 = QStringLiteral("NVIDIA H100 80GB HBM3");

VllmMoeTarget h100()
{
    VllmMoeTarget t;
    t.experts = 8;
    t.n = 14336;
    t.deviceName = kH100;
    return t;
}

VllmEntry entry(qint64 m, int bm, int bn, int bk, int group, int warps, int stages, double ms = 0.05)
{
    VllmEntry e;
    e.m = m;
    // The studio's matmul spaces name the blocks BLOCK_M/N/K and GROUP_M: aliases of vLLM's.
    e.config = QJsonObject{{QStringLiteral("BLOCK_M"), bm},        {QStringLiteral("BLOCK_N"), bn},
                           {QStringLiteral("BLOCK_K"), bk},        {QStringLiteral("GROUP_M"), group},
                           {QStringLiteral("num_warps"), warps},   {QStringLiteral("num_stages"), stages}};
    e.measurement.status = Status::Ok;
    e.measurement.objectiveMs = ms;
    e.deviceName = kH100;
    e.origin = QStringLiteral("session M=%1").arg(m);
    return e;
}

QVector<VllmEntry> ladder()
{
    return {entry(64, 64, 64, 32, 8, 4, 3), entry(1, 16, 32, 64, 1, 4, 4), entry(16, 16, 64, 64, 1, 4, 3)};
}

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestVllmConfigExporter : public QObject {
    Q_OBJECT
private slots:
    void deviceNames_data();
    void deviceNames();
    void fileNames_data();
    void fileNames();
    void fileNameRefusals_data();
    void fileNameRefusals();
    void body();
    void readsBackWithVllmRules();
    void keysAtTheEndsOfTheIntegers();
    void entryRefusals();
    void writeAndForce();
    void sessionLayer_data();
    void sessionLayer();
    void longKeyIsQuotedClipped();
};

void TestVllmConfigExporter::deviceNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("expected");
    QTest::newRow("H100") << kH100 << QStringLiteral("NVIDIA_H100_80GB_HBM3");
    QTest::newRow("A100") << QStringLiteral("NVIDIA A100-SXM4-80GB") << QStringLiteral("NVIDIA_A100-SXM4-80GB");
    QTest::newRow("H200") << QStringLiteral("NVIDIA H200") << QStringLiteral("NVIDIA_H200");
    QTest::newRow("H200 NVL") << QStringLiteral("NVIDIA H200 NVL") << QStringLiteral("NVIDIA_H200");
    QTest::newRow("GH200 is not H200") << QStringLiteral("NVIDIA GH200 480GB") << QStringLiteral("NVIDIA_GH200_480GB");
    QTest::newRow("AMD") << QStringLiteral("AMD Instinct MI300X") << QStringLiteral("AMD_Instinct_MI300X");
}

void TestVllmConfigExporter::deviceNames()
{
    QFETCH(QString, name);
    QFETCH(QString, expected);
    QCOMPARE(VllmConfigExporter::deviceNameForFile(name), expected);
}

void TestVllmConfigExporter::fileNames_data()
{
    QTest::addColumn<VllmMoeTarget>("target");
    QTest::addColumn<QString>("expected");
    QTest::newRow("fp16") << h100() << QStringLiteral("E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json");
    VllmMoeTarget t = h100();
    t.dtype = QStringLiteral("fp8_w8a8");
    QTest::newRow("fp8") << t << QStringLiteral("E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3,dtype=fp8_w8a8.json");
    t.experts = 256;
    t.n = 128;
    t.blockShape = {128, 128};
    QTest::newRow("fp8 block") << t
        << QStringLiteral("E=256,N=128,device_name=NVIDIA_H100_80GB_HBM3,dtype=fp8_w8a8,block_shape=[128,128].json");
    t = h100();
    t.deviceName = QStringLiteral("NVIDIA H200 NVL");
    t.dtype = QStringLiteral("int8_w8a16");
    QTest::newRow("H200 family") << t << QStringLiteral("E=8,N=14336,device_name=NVIDIA_H200,dtype=int8_w8a16.json");
}

void TestVllmConfigExporter::fileNames()
{
    QFETCH(VllmMoeTarget, target);
    QFETCH(QString, expected);
    auto name = VllmConfigExporter::fileName(target);
    QVERIFY2(name, qPrintable(name.error()));
    QCOMPARE(name.value(), expected);
}

void TestVllmConfigExporter::fileNameRefusals_data()
{
    QTest::addColumn<VllmMoeTarget>("target");
    QTest::addColumn<QString>("message");
    VllmMoeTarget t = h100();
    t.dtype = QStringLiteral("bfloat16");
    QTest::newRow("bf16 selector") << t
        << QStringLiteral("dtype: vLLM looks up bfloat16 configurations without a dtype in the name; leave dtype empty");
    t.dtype = QStringLiteral("fp4");
    QTest::newRow("unknown dtype") << t
        << QStringLiteral("dtype: 'fp4' is none of the names vLLM looks up (fp8_w8a8, int8_w8a8, int8_w8a16, int4_w4a16, "
                          "mxfp4_w4a4, float32)");
    t = h100();
    t.dtype = QStringLiteral("fp8_w8a8");
    t.blockShape = {128, 0};
    QTest::newRow("zero block") << t
        << QStringLiteral("block_shape: expected two positive integers [block_n, block_k]; vLLM drops a shape with a zero "
                          "and would look for another file");
    t = h100();
    t.blockShape = {128, 128};
    QTest::newRow("block without quantisation") << t
        << QStringLiteral("block_shape: only block-quantised layers (a quantised dtype) look up a block_shape");
    t = h100();
    t.deviceName = QStringLiteral("GPU 0/1");
    QTest::newRow("slash") << t << QStringLiteral("device_name: 'GPU 0/1' cannot be part of a file name vLLM finds");
    t = h100();
    t.deviceName.clear();
    QTest::newRow("no device") << t
        << QStringLiteral("device_name: missing (the name NVML or torch.cuda.get_device_name() reports)");
    t = h100();
    t.experts = 0;
    QTest::newRow("no experts") << t << QStringLiteral("E: expected the number of experts (>= 1), got 0");
}

void TestVllmConfigExporter::fileNameRefusals()
{
    QFETCH(VllmMoeTarget, target);
    QFETCH(QString, message);
    auto name = VllmConfigExporter::fileName(target);
    QVERIFY(!name);
    QCOMPARE(name.error(), message);
    QVERIFY(!VllmConfigExporter::render(target, ladder()));
}

void TestVllmConfigExporter::body()
{
    VllmMoeTarget t = h100();
    t.tritonVersion = QStringLiteral("3.3.1");
    auto json = VllmConfigExporter::render(t, ladder());
    QVERIFY2(json, qPrintable(json.error()));
    // json.dump(indent=4) layout, M ascending as numbers (1, 16, 64, not "1", "16", "64" as text).
    const QByteArray expected = "{\n"
                                "    \"triton_version\": \"3.3.1\",\n"
                                "    \"1\": {\n"
                                "        \"BLOCK_SIZE_M\": 16,\n"
                                "        \"BLOCK_SIZE_N\": 32,\n"
                                "        \"BLOCK_SIZE_K\": 64,\n"
                                "        \"GROUP_SIZE_M\": 1,\n"
                                "        \"num_warps\": 4,\n"
                                "        \"num_stages\": 4\n"
                                "    },\n"
                                "    \"16\": {\n"
                                "        \"BLOCK_SIZE_M\": 16,\n"
                                "        \"BLOCK_SIZE_N\": 64,\n"
                                "        \"BLOCK_SIZE_K\": 64,\n"
                                "        \"GROUP_SIZE_M\": 1,\n"
                                "        \"num_warps\": 4,\n"
                                "        \"num_stages\": 3\n"
                                "    },\n"
                                "    \"64\": {\n"
                                "        \"BLOCK_SIZE_M\": 64,\n"
                                "        \"BLOCK_SIZE_N\": 64,\n"
                                "        \"BLOCK_SIZE_K\": 32,\n"
                                "        \"GROUP_SIZE_M\": 8,\n"
                                "        \"num_warps\": 4,\n"
                                "        \"num_stages\": 3\n"
                                "    }\n"
                                "}\n";
    QCOMPARE(QString::fromUtf8(json.value()), QString::fromUtf8(expected));
}

void TestVllmConfigExporter::readsBackWithVllmRules()
{
    auto json = VllmConfigExporter::render(h100(), ladder());
    QVERIFY(json);
    auto configs = VllmConfigExporter::parse(json.value(), QStringLiteral("f.json"));
    QVERIFY2(configs, qPrintable(configs.error()));
    QCOMPARE(configs->keys(), (QList<qint64>{1, 16, 64}));
    QCOMPARE(configs->value(16).value(QLatin1String("BLOCK_SIZE_N")).toInt(), 64);
    // vLLM: min(keys, key=|k - M|), ties to the smaller key.
    QCOMPARE(VllmConfigExporter::nearestKey(configs.value(), 8), qint64(1));   // |8-1| = 7 < |8-16| = 8
    QCOMPARE(VllmConfigExporter::nearestKey(configs.value(), 40), qint64(16)); // tie 24/24 -> 16
    QCOMPARE(VllmConfigExporter::nearestKey(configs.value(), 4096), qint64(64));
    auto bad = VllmConfigExporter::parse("{\"1x\": {}}", QStringLiteral("f.json"));
    QVERIFY(!bad);
    QCOMPARE(bad.error(), QStringLiteral("f.json: key '1x': vLLM's int() fails on it"));
}

void TestVllmConfigExporter::keysAtTheEndsOfTheIntegers()
{
    // Found by fuzz_vllm_config: k - M overflowed for a key near -2^63 (then it looked nearest), and a
    // key beyond 64 bits read as 0.
    const QByteArray config = "{\"BLOCK_SIZE_M\": 16, \"BLOCK_SIZE_N\": 64, \"BLOCK_SIZE_K\": 64, \"GROUP_SIZE_M\": 1, "
                              "\"num_warps\": 4, \"num_stages\": 3}";
    auto ends = VllmConfigExporter::parse("{\"-9223372036854775803\": " + config + ", \"100\": " + config
                                              + ", \"9223372036854775807\": " + config + "}",
                                          QStringLiteral("f.json"));
    QVERIFY2(ends, qPrintable(ends.error()));
    QCOMPARE(VllmConfigExporter::nearestKey(ends.value(), 5), qint64(100));
    QCOMPARE(VllmConfigExporter::nearestKey(ends.value(), std::numeric_limits<qint64>::min()), qint64(-9223372036854775803));
    QCOMPARE(VllmConfigExporter::nearestKey(ends.value(), std::numeric_limits<qint64>::max()), std::numeric_limits<qint64>::max());
    auto huge = VllmConfigExporter::parse("{\"99999999999999999999\": " + config + "}", QStringLiteral("f.json"));
    QVERIFY(!huge);
    QCOMPARE(huge.error(), QStringLiteral("f.json: key '99999999999999999999': not a batch size this program can read (beyond 64 bits)"));
}

void TestVllmConfigExporter::entryRefusals()
{
    auto check = [](QVector<VllmEntry> entries, const QString& message) -> QString {
        auto json = VllmConfigExporter::render(h100(), entries);
        if (json)
            return QStringLiteral("rendered although it should fail with: ") + message;
        return json.error();
    };
    auto e = ladder();
    e[1].measurement = Measurement::failure(Status::Timeout, QString());
    QString m = QStringLiteral("session M=1: the configuration {\"BLOCK_K\":64,\"BLOCK_M\":16,\"BLOCK_N\":32,\"GROUP_M\":1,"
                               "\"num_stages\":4,\"num_warps\":4} has status 'timeout'; only ok configurations can be exported");
    QCOMPARE(check(e, m), m);
    e = ladder();
    e[0].measurement.extra.insert(QStringLiteral("verified"), false);
    m = QStringLiteral("session M=64: the configuration {\"BLOCK_K\":32,\"BLOCK_M\":64,\"BLOCK_N\":64,\"GROUP_M\":8,"
                       "\"num_stages\":3,\"num_warps\":4} was never verified against the reference output; only verified "
                       "configurations can be exported");
    QCOMPARE(check(e, m), m);
    e = ladder();
    e[2].deviceName = QStringLiteral("NVIDIA A100-SXM4-80GB");
    m = QStringLiteral("session M=16: measured on 'NVIDIA A100-SXM4-80GB', but the file is for 'NVIDIA H100 80GB HBM3': vLLM "
                       "on that GPU would not load it");
    QCOMPARE(check(e, m), m);
    e = ladder();
    e[0].config.remove(QStringLiteral("GROUP_M"));
    m = QStringLiteral("session M=64: the configuration has no 'GROUP_SIZE_M'; vLLM's kernel needs it");
    QCOMPARE(check(e, m), m);
    e = ladder();
    e[0].config.insert(QStringLiteral("EVEN_K"), 1);
    m = QStringLiteral("session M=64: 'EVEN_K' is no parameter of vLLM's fused MoE kernel; vLLM passes every field of an "
                       "entry to the kernel");
    QCOMPARE(check(e, m), m);
    e = ladder();
    e[0].config.insert(QStringLiteral("BLOCK_K"), 48);
    m = QStringLiteral("session M=64: BLOCK_SIZE_K = 48; tl.dot needs a power of two >= 16");
    QCOMPARE(check(e, m), m);
    e = ladder();
    // Found by fuzz_vllm_config: a value beyond 64 bits was converted to -2^63 and written as such.
    e[0].config.insert(QStringLiteral("num_stages"), 1e30);
    m = QStringLiteral("session M=64: 'num_stages' = 1e+30 is not a positive integer (at most 2^31 - 1)");
    QCOMPARE(check(e, m), m);
    e = ladder();
    e[0].config.insert(QStringLiteral("num_stages"), 0);
    m = QStringLiteral("session M=64: 'num_stages' = 0 is not a positive integer (at most 2^31 - 1)");
    QCOMPARE(check(e, m), m);
    e = ladder();
    e[2].m = 1;
    m = QStringLiteral("session M=16: M = 1 is already given by session M=1");
    QCOMPARE(check(e, m), m);
    // The H200 family shares one file: a measurement on an H200 NVL is good for "NVIDIA H200".
    VllmMoeTarget h200 = h100();
    h200.deviceName = QStringLiteral("NVIDIA H200");
    e = ladder();
    for (VllmEntry& x : e)
        x.deviceName = QStringLiteral("NVIDIA H200 NVL");
    QVERIFY(VllmConfigExporter::render(h200, e));
}

void TestVllmConfigExporter::writeAndForce()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("configs"));
    auto path = VllmConfigExporter::write(h100(), ladder(), out, false);
    QVERIFY2(path, qPrintable(path.error()));
    QCOMPARE(path.value(), out + QStringLiteral("/E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json"));
    QCOMPARE(readFile(path.value()), VllmConfigExporter::render(h100(), ladder()).value());
    QVERIFY(VllmConfigExporter::write(h100(), ladder(), out, false)); // identical: fine

    auto changed = ladder();
    changed.removeLast();
    auto refused = VllmConfigExporter::write(h100(), changed, out, false);
    QVERIFY(!refused);
    QCOMPARE(refused.error(), path.value() + QStringLiteral(": exists with different content; pass --force to replace it"));
    QVERIFY(VllmConfigExporter::write(h100(), changed, out, true));
    QCOMPARE(VllmConfigExporter::parse(readFile(path.value()), path.value())->size(), 2);

    // A refused render writes nothing, not even the directory.
    auto bad = ladder();
    bad[0].measurement = Measurement::failure(Status::Crashed, QString());
    const QString other = dir.filePath(QStringLiteral("other"));
    QVERIFY(!VllmConfigExporter::write(h100(), bad, other, false));
    QVERIFY(!QFileInfo::exists(other));
}

void TestVllmConfigExporter::sessionLayer_data()
{
    // A session's kernel and problem against the file's E=8, N=14336 (fp16 unless a dtype is given).
    QTest::addColumn<QString>("kernel");
    QTest::addColumn<QString>("problem");
    QTest::addColumn<QString>("dtype");
    QTest::addColumn<QString>("error"); // empty: the session belongs in the file
    const QString moe = QStringLiteral("[256,8,14336,4096,2,\"fp16\"]");
    QTest::newRow("worker kernel") << "fused_moe" << moe << "" << "";
    QTest::newRow("space name") << "triton_fused_moe_fp16" << moe << "" << "";
    QTest::newRow("recorded name") << "triton_fused_moe_fp16_M256_E8" << moe << "" << "";
    QTest::newRow("int4 doubles N") << "fused_moe" << "[256,8,7168,4096,2,\"int4_w4a16\"]" << "int4_w4a16" << "";
    QTest::newRow("dense matmul") << "triton_matmul_fp16_M1024_N1024_K1024" << "[1024,1024,1024]" << ""
                                  << "kernel 'triton_matmul_fp16_M1024_N1024_K1024' is not the fused MoE kernel";
    QTest::newRow("not a word") << "unfused_moex" << moe << "" << "is not the fused MoE kernel";
    QTest::newRow("short problem") << "fused_moe" << "[256,8,14336]" << ""
                                   << "problem '[256,8,14336]' is not a fused-MoE problem [M, E, N, K, topk, \"dtype\"]";
    QTest::newRow("fraction") << "fused_moe" << "[256,8,14336.5,4096,2,\"fp16\"]" << "" << "is not a fused-MoE problem";
    QTest::newRow("other E") << "fused_moe" << "[256,16,14336,4096,2,\"fp16\"]" << "" << "E: the session tuned 16 experts, the file is for E=8";
    QTest::newRow("other N") << "fused_moe" << "[256,8,7168,4096,2,\"fp16\"]" << "" << "N: the session tuned N=7168, the file is for N=14336";
    QTest::newRow("fp16 into fp8") << "fused_moe" << moe << "fp8_w8a8" << "dtype: the session tuned fp16, the file is for fp8_w8a8";
    QTest::newRow("fp8 into fp16") << "fused_moe" << "[256,8,14336,4096,2,\"fp8_w8a8\"]" << ""
                                   << "dtype: the session tuned fp8_w8a8, the file is for fp16/bf16 (no dtype)";
}

void TestVllmConfigExporter::sessionLayer()
{
    QFETCH(QString, kernel);
    QFETCH(QString, problem);
    QFETCH(QString, dtype);
    QFETCH(QString, error);
    VllmMoeTarget t = h100();
    t.dtype = dtype;
    auto layer = VllmConfigExporter::moeProblem(kernel, problem);
    const Result<void> fits = layer ? VllmConfigExporter::checkLayer(t, layer.value()) : Result<void>(Error{layer.error()});
    if (error.isEmpty()) {
        QVERIFY2(fits, qPrintable(fits.error()));
        QCOMPARE(layer->m, 256);
        QCOMPARE(layer->k, 4096);
        QCOMPARE(layer->topk, 2);
    } else {
        QVERIFY(!fits);
        QVERIFY2(fits.error().contains(error), qPrintable(fits.error()));
    }
}

void TestVllmConfigExporter::longKeyIsQuotedClipped()
{
    const QByteArray json = "{\"" + QByteArray(100000, '7') + "x\": {}}";
    auto parsed = VllmConfigExporter::parse(json, QStringLiteral("E=8.json"));
    QVERIFY(!parsed);
    QVERIFY2(parsed.error().startsWith(QStringLiteral("E=8.json: key '7777")), qPrintable(parsed.error().left(300)));
    QVERIFY2(parsed.error().contains(QStringLiteral("\u2026 (100001 characters)': vLLM's int() fails on it")), qPrintable(parsed.error().left(300)));
    QVERIFY(parsed.error().size() < 200);
}

QTEST_GUILESS_MAIN(TestVllmConfigExporter)
#include "tst_vllmconfigexporter.moc"
