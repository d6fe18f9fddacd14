// sglang's fused-MoE config files: folder, name and body checked against sglang's own rules
// (python/sglang/srt/layers/moe/fused_moe_triton/fused_moe_triton_config.py, get_config_file_name
// and get_moe_configs), and the Triton version taken from the sessions' toolchain.
#include "base/JsonUtil.h"
#include "export/SessionExport.h"
#include "export/SglangConfigExporter.h"
#include "session/ResultStore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

Q_DECLARE_METATYPE(dv::VllmMoeTarget)

namespace {

VllmMoeTarget target(int e, int n, const QString& device, const QString& dtype = {}, QVector<int> block = {},
                     const QString& triton = QStringLiteral("3.4.0"))
{
    VllmMoeTarget t;
    t.experts = e;
    t.n = n;
    t.deviceName = device;
    t.dtype = dtype;
    t.blockShape = block;
    t.tritonVersion = triton;
    return t;
}

VllmEntry entry(qint64 m, int bm, const QString& device = QStringLiteral("NVIDIA H100 80GB HBM3"))
{
    VllmEntry e;
    e.m = m;
    e.config = QJsonObject{{QStringLiteral("BLOCK_SIZE_M"), bm}, {QStringLiteral("BLOCK_SIZE_N"), 64}, {QStringLiteral("BLOCK_SIZE_K"), 32},
                           {QStringLiteral("GROUP_SIZE_M"), 8},  {QStringLiteral("num_warps"), 4},   {QStringLiteral("num_stages"), 3}};
    e.measurement.status = Status::Ok;
    e.measurement.objectiveMs = 0.5;
    e.measurement.samplesMs = {0.5};
    e.deviceName = device;
    return e;
}

// A session of the fused-MoE layer E 8, N 14336 at batch size m, run on `toolchain`.
qint64 addSession(ResultStore& store, int m, const QString& toolchain)
{
    SessionRecord r;
    r.device.id = QStringLiteral("triton:0");
    r.device.name = QStringLiteral("NVIDIA H100 80GB HBM3");
    r.device.backend = QStringLiteral("triton");
    r.device.toolchain = toolchain;
    r.kernel = QStringLiteral("fused_moe");
    r.problem = QStringLiteral("[%1,8,14336,4096,2,\"fp16\"]").arg(m);
    r.space = QJsonObject{{QStringLiteral("parameters"), QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("BLOCK_SIZE_M")},
                                                                                 {QStringLiteral("values"), QJsonArray{16, 32}}}}}};
    r.strategy = QStringLiteral("grid");
    const qint64 id = store.createSession(r).value();
    Trial t;
    t.sessionId = id;
    t.sequence = 1;
    t.spaceIndex = 0;
    VllmEntry e = entry(m, 16);
    t.config = e.config;
    t.configKey = QStringLiteral("k");
    t.measurement = e.measurement;
    t.startedAt = QDateTime(QDate(2026, 12, 1), QTime(10, 0), Qt::UTC);
    t.finishedAt = t.startedAt.addMSecs(10);
    if (!store.appendTrial(t, 10))
        return -1;
    return id;
}

} // namespace

class TestSglangConfigExporter : public QObject {
    Q_OBJECT
private slots:
    void fileNames_data()
    {
        QTest::addColumn<VllmMoeTarget>("t");
        QTest::addColumn<QString>("expected");
        QTest::newRow("fp16") << target(8, 14336, QStringLiteral("NVIDIA H100 80GB HBM3"))
                              << QStringLiteral("configs/triton_3_4_0/E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json");
        // sglang keeps the whole name (vLLM maps any H200 to NVIDIA_H200).
        QTest::newRow("H200 NVL") << target(512, 128, QStringLiteral("NVIDIA H200 NVL"), {}, {}, QStringLiteral("3.3.1"))
                                  << QStringLiteral("configs/triton_3_3_1/E=512,N=128,device_name=NVIDIA_H200_NVL.json");
        // A name shipped in sglang's configs/triton_3_4_0: str() of the list, with its space.
        QTest::newRow("block fp8") << target(128, 768, QStringLiteral("NVIDIA B200"), QStringLiteral("fp8_w8a8"), {128, 128})
                                   << QStringLiteral("configs/triton_3_4_0/E=128,N=768,device_name=NVIDIA_B200,dtype=fp8_w8a8,block_shape=[128, 128].json");
        QTest::newRow("int8") << target(128, 352, QStringLiteral("NVIDIA L40S"), QStringLiteral("int8_w8a16"))
                              << QStringLiteral("configs/triton_3_4_0/E=128,N=352,device_name=NVIDIA_L40S,dtype=int8_w8a16.json");
    }
    void fileNames()
    {
        QFETCH(VllmMoeTarget, t);
        QFETCH(QString, expected);
        auto path = SglangConfigExporter::relativePath(t);
        QVERIFY2(path, qPrintable(path.error()));
        QCOMPARE(path.value(), expected);
    }

    void refusals_data()
    {
        QTest::addColumn<VllmMoeTarget>("t");
        QTest::addColumn<QString>("message");
        QTest::newRow("local triton build") << target(8, 14336, QStringLiteral("GPU"), {}, {}, QStringLiteral("3.4.0+git1a2b3c"))
                                            << QStringLiteral("triton version '3.4.0+git1a2b3c': sglang's folder is triton_X_Y_Z of a release version");
        QTest::newRow("version escapes the folder") << target(8, 14336, QStringLiteral("GPU"), {}, {}, QStringLiteral("../../3"))
                                                    << QStringLiteral("triton version '../../3'");
        QTest::newRow("no version") << target(8, 14336, QStringLiteral("GPU"), {}, {}, QString()) << QStringLiteral("triton version ''");
        QTest::newRow("vLLM-only dtype") << target(8, 14336, QStringLiteral("GPU"), QStringLiteral("mxfp4_w4a4"))
                                         << QStringLiteral("dtype: 'mxfp4_w4a4' is none of the names sglang looks up");
        QTest::newRow("fp16 named") << target(8, 14336, QStringLiteral("GPU"), QStringLiteral("float16"))
                                    << QStringLiteral("none for fp16/bf16");
        QTest::newRow("zero block") << target(8, 14336, QStringLiteral("GPU"), QStringLiteral("fp8_w8a8"), {128, 0})
                                    << QStringLiteral("block_shape: expected two positive integers");
        QTest::newRow("slash in device") << target(8, 14336, QStringLiteral("a/../b")) << QStringLiteral("cannot be part of a file name");
    }
    void refusals()
    {
        QFETCH(VllmMoeTarget, t);
        QFETCH(QString, message);
        auto path = SglangConfigExporter::relativePath(t);
        QVERIFY(!path);
        QVERIFY2(path.error().contains(message), qPrintable(path.error()));
    }

    void tritonVersionFromToolchain_data()
    {
        QTest::addColumn<QString>("toolchain");
        QTest::addColumn<QString>("version");
        QTest::newRow("triton worker") << QStringLiteral("triton, driver 580.82, cuda 13.0, triton 3.6.0, torch 2.11") << QStringLiteral("3.6.0");
        QTest::newRow("last") << QStringLiteral("triton, worker 1.0, triton 3.4.0") << QStringLiteral("3.4.0");
        QTest::newRow("none") << QStringLiteral("triton, worker 1.0, torch 2.11") << QString();
        QTest::newRow("replay") << QStringLiteral("replay sha256:0123") << QString();
        QTest::newRow("pytorch-triton is another name") << QStringLiteral("cuda, pytorch-triton 3.4.0") << QString();
    }
    void tritonVersionFromToolchain()
    {
        QFETCH(QString, toolchain);
        QFETCH(QString, version);
        QCOMPARE(SglangConfigExporter::tritonVersionOf(toolchain), version);
    }

    // sglang reads the body with json.load and int() of every key: no "triton_version" member,
    // even when the target has a version; the entries as vLLM's tuner writes them.
    void bodyReadsBackAsSglangReadsIt()
    {
        auto json = SglangConfigExporter::render(target(8, 14336, QStringLiteral("NVIDIA H100 80GB HBM3")), {entry(256, 32), entry(16, 16)});
        QVERIFY2(json, qPrintable(json.error()));
        auto root = parseJsonObject(json.value(), QStringLiteral("body"));
        QVERIFY(root);
        QCOMPARE(root->keys(), (QStringList{QStringLiteral("16"), QStringLiteral("256")}));
        static const QRegularExpression pythonInt(QStringLiteral("^[0-9]+$"));
        for (const QString& k : root->keys())
            QVERIFY(pythonInt.match(k).hasMatch());
        QVERIFY(json->startsWith("{\n    \"16\": {\n        \"BLOCK_SIZE_M\": 16,\n        \"BLOCK_SIZE_N\": 64,"));
        QVERIFY(!json->contains("triton_version"));
        // Measured on another GPU: sglang on the file's GPU would not find it.
        auto other = SglangConfigExporter::render(target(8, 14336, QStringLiteral("NVIDIA H100 80GB HBM3")),
                                                  {entry(16, 16, QStringLiteral("NVIDIA H200"))});
        QVERIFY(!other);
        QVERIFY2(other.error().contains(QLatin1String("sglang on that GPU would not load it")), qPrintable(other.error()));
    }

    // Through SessionExport: the folder follows the sessions' Triton; sessions of two versions, a
    // --triton-version that contradicts them, and sessions recording none without one are refused.
    void versionFromTheSessions()
    {
        QTemporaryDir dir;
        auto store = ResultStore::open(dir.filePath(QStringLiteral("r.sqlite")));
        QVERIFY(store);
        const QString t34 = QStringLiteral("triton, driver 580.82, cuda 12.8, triton 3.4.0, torch 2.8"), t36 = QStringLiteral("triton, triton 3.6.0");
        const qint64 a = addSession(*store.value(), 16, t34), b = addSession(*store.value(), 256, t34), c = addSession(*store.value(), 64, t36);
        const qint64 replay = addSession(*store.value(), 128, QStringLiteral("replay sha256:0"));
        auto run = [&](QVector<qint64> ids, const QString& version, const QString& out) {
            SessionExportOptions o;
            o.format = QStringLiteral("sglang");
            o.sessionIds = ids;
            o.out = dir.filePath(out);
            o.vllm.experts = 8;
            o.vllm.n = 14336;
            o.vllm.tritonVersion = version;
            SessionExport job(o);
            return job.run(*store.value());
        };
        auto ok = run({a, b}, QString(), QStringLiteral("ok"));
        QVERIFY2(ok, qPrintable(ok.error()));
        QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("ok/configs/triton_3_4_0/E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json"))));
        QCOMPARE(ok->coverageLookup, QStringLiteral("nearest M"));
        const struct {
            QVector<qint64> ids;
            QString version, message;
        } refused[] = {
            {{a, c}, QString(), QStringLiteral("ran on Triton 3.6.0, but session %1 (fused_moe, problem [16,8,14336,4096,2,\"fp16\"]) ran on 3.4.0").arg(a)},
            {{a}, QStringLiteral("3.6.0"), QStringLiteral("ran on Triton 3.4.0, but --triton-version is 3.6.0")},
            {{replay}, QString(), QStringLiteral("records none; give the deployment's with --triton-version")},
        };
        for (const auto& r : refused) {
            auto result = run(r.ids, r.version, QStringLiteral("refused"));
            QVERIFY(!result);
            QVERIFY2(result.error().contains(r.message), qPrintable(result.error()));
            QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("refused"))));
        }
        auto given = run({replay}, QStringLiteral("3.3.1"), QStringLiteral("given"));
        QVERIFY2(given, qPrintable(given.error()));
        QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("given/configs/triton_3_3_1/E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json"))));
    }
};

QTEST_GUILESS_MAIN(TestSglangConfigExporter)
#include "tst_sglangconfigexporter.moc"
