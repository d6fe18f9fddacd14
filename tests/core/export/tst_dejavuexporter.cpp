#include "export/DejavuExporter.h"
#include "export/TritonConfigText.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

Q_DECLARE_METATYPE(DejavuDeployment)
Q_DECLARE_METATYPE(QVector<DejavuEntry>)

namespace {

const QString kGoldenRoot = QStringLiteral(DEJAVU_TESTDATA_DIR "/dejavu-golden");

QByteArray readFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

/// The path of the one cache.json of the golden tree, relative to its root.
QString goldenRelativePath()
{
    QDirIterator it(kGoldenRoot, {QStringLiteral("cache.json")}, QDir::Files, QDirIterator::Subdirectories);
    if (!it.hasNext())
        qFatal("no cache.json below %s", qPrintable(kGoldenRoot));
    return QDir(kGoldenRoot).relativeFilePath(it.next());
}

/// jit_fn.src of the fixture's kernel: from the first `def name(` line to the end of the file.
QString goldenSource()
{
    const QString text = QString::fromUtf8(readFile(kGoldenRoot + QStringLiteral("/scale_add_kernel.py")));
    const auto m = QRegularExpression(QStringLiteral("^def\\s+\\w+\\s*\\("), QRegularExpression::MultilineOption).match(text);
    if (!m.hasMatch())
        qFatal("no def in the fixture kernel");
    return text.mid(m.capturedStart());
}

/// The 18 str(triton.Config) of the fixture's ConfigSpace on Triton 3.6, written out by hand.
QStringList goldenConfigs()
{
    QStringList out;
    for (int block : {256, 1024, 4096})
        for (int stages : {1, 2})
            for (int warps : {2, 4, 8})
                out.append(QStringLiteral("BLOCK_SIZE: %1, num_warps: %2, num_ctas: 1, num_stages: %3, maxnreg: None")
                               .arg(block).arg(warps).arg(stages));
    return out;
}

DejavuDeployment goldenDeployment()
{
    DejavuDeployment d;
    d.dejavuVersion = QStringLiteral("0.7.5");
    d.tritonVersion = QStringLiteral("3.6.0");
    d.toolOutput = QStringLiteral("ptxas: NVIDIA (R) Ptx optimizing assembler\nCuda compilation tools, release 12.8, V12.8.93\n");
    d.gpuName = QStringLiteral("NVIDIA H100 80GB HBM3");
    d.signature = QStringLiteral("JITFunction(__main__:scale_add)");
    d.source = goldenSource();
    d.argNames = QStringList{QStringLiteral("x_ptr"), QStringLiteral("y_ptr"), QStringLiteral("out_ptr"),
                             QStringLiteral("n_elements"), QStringLiteral("alpha"), QStringLiteral("BLOCK_SIZE")};
    d.argDtypes = QStringList(3, QStringLiteral("torch.float32"));
    d.keys = QStringList{QStringLiteral("n_elements")};
    d.configs = goldenConfigs();
    d.params.warmup = 5;
    d.params.rep = 20;
    return d;
}

DejavuEntry entry(const QString& n, int block, int warps, int stages, double ms, double benchSeconds = 0)
{
    DejavuEntry e;
    e.keyValues = QStringList{n};
    e.config = QJsonObject{{QStringLiteral("BLOCK_SIZE"), block}, {QStringLiteral("num_warps"), warps},
                           {QStringLiteral("num_stages"), stages}};
    e.measurement.status = Status::Ok;
    e.measurement.objectiveMs = ms;
    e.deviceName = QStringLiteral("NVIDIA H100 80GB HBM3");
    e.benchSeconds = benchSeconds;
    e.origin = QStringLiteral("session n=%1").arg(n);
    return e;
}

/// The fixture's three tuned sizes with the times and bench time it recorded.
QVector<DejavuEntry> goldenEntries()
{
    return {entry(QStringLiteral("4096"), 256, 4, 1, 0.003871999913826585, 12.286131143569946),
            entry(QStringLiteral("1048576"), 256, 2, 2, 0.009216000325977802),
            entry(QStringLiteral("16777216"), 1024, 4, 2, 0.07254400104284286)};
}

QStringList filesBelow(const QString& root)
{
    QStringList out;
    QDirIterator it(root, QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext())
        out.append(QDir(root).relativeFilePath(it.next()));
    out.sort();
    return out;
}

} // namespace

class TestDejavuExporter : public QObject {
    Q_OBJECT
private slots:
    void reproducesTheGoldenPath();
    void reproducesTheGoldenFile();
    void configSpaceMatchesTheFixtureList();
    void deploymentFileReproducesTheGolden();
    void workedExampleHashes_data();
    void workedExampleHashes();
    void runtimeVersionSources_data();
    void runtimeVersionSources();
    void keyStringsParseAsTheLibraryDoes();
    void configStringsParseAsTheLibraryDoes();
    void refusals_data();
    void refusals();
    void writesTheTreeAtomically();
    void refusesToOverwriteWithoutForce();
    void failedWriteLeavesNothing();
    void readOnlyRootLeavesNothing();
};

void TestDejavuExporter::reproducesTheGoldenPath()
{
    auto file = DejavuExporter::render(goldenDeployment(), goldenEntries());
    QVERIFY2(file, qPrintable(file.error()));
    QCOMPARE(file->relativePath(), goldenRelativePath());
    QCOMPARE(file->storageIdentifier, QStringLiteral("dejavu_0.7/triton_3.6.0/cuda_12.8/gpu_NVIDIA_H100_80GB_HBM3"));
    QCOMPARE(file->paramString, QStringLiteral("autotuner params: warmup 5 rep 20 cuda_graphs False quantiles None use_bo "
                                               "False use_random False max_search_n None max_search_t 180"));
    // Triton 3.6 has no working triton-dejavu 0.7.5: the export says so but still writes.
    QCOMPARE(file->warnings.size(), 1);
}

void TestDejavuExporter::reproducesTheGoldenFile()
{
    auto file = DejavuExporter::render(goldenDeployment(), goldenEntries());
    QVERIFY2(file, qPrintable(file.error()));
    const QByteArray golden = readFile(kGoldenRoot + QLatin1Char('/') + goldenRelativePath());
    // With the fixture's own timings as input, the whole file is byte-identical, layout included.
    QCOMPARE(QString::fromUtf8(file->json), QString::fromUtf8(golden));

    // The "cache" and "keys" entries do not depend on the measurements.
    auto other = goldenEntries();
    for (DejavuEntry& e : other)
        e.measurement.objectiveMs *= 1.5;
    auto file2 = DejavuExporter::render(goldenDeployment(), other);
    QVERIFY(file2);
    const QJsonObject a = QJsonDocument::fromJson(file2->json).object();
    const QJsonObject g = QJsonDocument::fromJson(golden).object();
    QCOMPARE(a.value(QLatin1String("cache")), g.value(QLatin1String("cache")));
    QCOMPARE(a.value(QLatin1String("keys")), g.value(QLatin1String("keys")));
    QCOMPARE(a.keys(), g.keys());
    QVERIFY(a.value(QLatin1String("timings")) != g.value(QLatin1String("timings")));
}

void TestDejavuExporter::configSpaceMatchesTheFixtureList()
{
    auto generated = TritonConfigText::configSpaceStrings(
        {{QStringLiteral("BLOCK_SIZE"), {256, 1024, 4096}}},
        QJsonObject{{QStringLiteral("num_warps"), QJsonArray{2, 4, 8}}, {QStringLiteral("num_stages"), QJsonArray{1, 2}}},
        QStringLiteral("3.6.0"));
    QVERIFY2(generated, qPrintable(generated.error()));
    QCOMPARE(generated.value(), goldenConfigs());
}

void TestDejavuExporter::deploymentFileReproducesTheGolden()
{
    const QString path = QStringLiteral(DEJAVU_TESTDATA_DIR "/dejavu-deployment-scale_add.json");
    auto d = DejavuDeployment::fromJson(readFile(path), path);
    QVERIFY2(d, qPrintable(d.error()));
    QCOMPARE(d->configs, goldenConfigs());
    QCOMPARE(d->source, goldenSource());
    auto file = DejavuExporter::render(d.value(), goldenEntries());
    QVERIFY2(file, qPrintable(file.error()));
    QCOMPARE(file->relativePath(), goldenRelativePath());
    QCOMPARE(file->json, readFile(kGoldenRoot + QLatin1Char('/') + goldenRelativePath()));
}

void TestDejavuExporter::workedExampleHashes_data()
{
    // dejavu-cache-format.md §8: the add_kernel example, each hash as the spec lists it.
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("hash");
    DejavuAutotuneParams p;
    QTest::newRow("P default") << DejavuExporter::paramString(p)
                               << QStringLiteral("215d0c7082adf7c6c8ae2a767088f42b44e6432715b0c6760f5f8e5d4e8371ff");
    p.hashSearchParams = false;
    QTest::newRow("P no search params") << DejavuExporter::paramString(p)
                                        << QStringLiteral("a37792e3a52b58723e5bc01b0e240d802fdcb7b2d2d86bd88d1f08f36c9a31a0");
    p.hashSearchParams = true;
    p.quantiles = QVector<double>{0.5, 0.2, 0.8};
    QTest::newRow("P quantiles") << DejavuExporter::paramString(p)
                                 << QStringLiteral("108d2b45dd906a1dcb2fa6609ab65ebb9db8cc9e75a4251628581a1c3d4c91e3");
    const char* hashes[][2] = {{"3.1.0", "e9f45267b7879283cc97f7af7561a6dbbed2d5b8cdd1785683c827d54d431228"},
                               {"3.2.0", "740fc0ebc98758047a11c8ee56404e462eb795cf8032b65f8f0a017aae7414aa"},
                               {"3.3.1", "fe738428c1c5ad6f4b9b5c39391d0a8b439546e4207bf957c0180709cd5638b3"}};
    for (const auto& h : hashes) {
        auto configs = TritonConfigText::configSpaceStrings({{QStringLiteral("BLOCK_SIZE"), {512, 1024}}},
                                                          QJsonObject{{QStringLiteral("num_warps"), QJsonArray{4, 8}}},
                                                          QString::fromLatin1(h[0]));
        if (!configs)
            qFatal("%s", qPrintable(configs.error()));
        QString g = QStringLiteral("|");
        for (const QString& c : configs.value())
            g += c + QLatin1Char('|');
        QTest::newRow(qPrintable(QStringLiteral("G triton ") + QLatin1String(h[0]))) << g << QString::fromLatin1(h[1]);
    }
    const QString src = QStringLiteral(
        "def add_kernel(x_ptr, y_ptr, output_ptr, n_elements, BLOCK_SIZE: tl.constexpr):\n"
        "    pid = tl.program_id(axis=0)\n"
        "    block_start = pid * BLOCK_SIZE\n"
        "    offsets = block_start + tl.arange(0, BLOCK_SIZE)\n"
        "    mask = offsets < n_elements\n"
        "    x = tl.load(x_ptr + offsets, mask=mask)\n"
        "    y = tl.load(y_ptr + offsets, mask=mask)\n"
        "    output = x + y\n"
        "    tl.store(output_ptr + offsets, output, mask=mask)\n");
    QTest::newRow("W") << src << QStringLiteral("55dbc6c1041a68de8593f58d97f0c54270cdfe2ce123f94ec56377622375cd2b");
    QTest::newRow("C") << DejavuExporter::sha256Hex(src)
                       << QStringLiteral("7ab733b4b90430a4dc90b6ea7016079aa5051e999fbe9375e03bb5d4a72c760e");
    QTest::newRow("K") << QStringLiteral("n_elements")
                       << QStringLiteral("642d4b9fda790767d437e624c24755335b3574b2eb477fe24fd7d9c5a1659f5a");
}

void TestDejavuExporter::workedExampleHashes()
{
    QFETCH(QString, text);
    QFETCH(QString, hash);
    QCOMPARE(DejavuExporter::sha256Hex(text), hash);
}

void TestDejavuExporter::runtimeVersionSources_data()
{
    QTest::addColumn<QString>("runtimeVersion");
    QTest::addColumn<QString>("toolOutput");
    QTest::addColumn<QString>("torchVersion");
    QTest::addColumn<QString>("expected");
    QTest::newRow("env override wins") << QStringLiteral("11.8") << QStringLiteral("release 12.4, V12.4.99")
                                       << QStringLiteral("12.1") << QStringLiteral("cuda_11.8");
    QTest::newRow("ptxas") << QString() << QStringLiteral("Cuda compilation tools, release 12.4, V12.4.99")
                           << QStringLiteral("12.1") << QStringLiteral("cuda_12.4");
    QTest::newRow("ptxas unreadable") << QString() << QStringLiteral("sh: ptxas: not found") << QStringLiteral("12.1")
                                      << QStringLiteral("cuda_torch_12.1");
}

void TestDejavuExporter::runtimeVersionSources()
{
    QFETCH(QString, runtimeVersion);
    QFETCH(QString, toolOutput);
    QFETCH(QString, torchVersion);
    QFETCH(QString, expected);
    DejavuDeployment d = goldenDeployment();
    d.tritonVersion = QStringLiteral("3.1.0");
    d.gpuName = QStringLiteral("AMD Instinct MI250X/MI250");
    d.runtimeVersion = runtimeVersion;
    d.toolOutput = toolOutput;
    d.torchRuntimeVersion = torchVersion;
    auto id = DejavuExporter::storageIdentifier(d);
    QVERIFY2(id, qPrintable(id.error()));
    QCOMPARE(id.value(), QStringLiteral("dejavu_0.7/triton_3.1.0/%1/gpu_AMD_Instinct_MI250X_MI250").arg(expected));
}

void TestDejavuExporter::keyStringsParseAsTheLibraryDoes()
{
    const QStringList key{QStringLiteral("98432"), QStringLiteral("torch.float32")};
    QCOMPARE(TritonConfigText::keyString(key), QStringLiteral("('98432', 'torch.float32')"));
    QCOMPARE(TritonConfigText::parseKeyString(TritonConfigText::keyString(key), false), key);
    QCOMPARE(TritonConfigText::parseKeyString(TritonConfigText::keyString(key), true), QStringList{QStringLiteral("98432")});
    // The library's known defect: one element comes back with the quote and never matches.
    QCOMPARE(TritonConfigText::keyString({QStringLiteral("1024")}), QStringLiteral("('1024',)"));
    QCOMPARE(TritonConfigText::parseKeyString(QStringLiteral("('1024',)"), false), QStringList{QStringLiteral("1024'")});
}

void TestDejavuExporter::configStringsParseAsTheLibraryDoes()
{
    auto c = TritonConfigText::parseConfigString(
        QStringLiteral("BLOCK_SIZE: 256, EVEN: True, MODE: fast, num_warps: 4, num_ctas: 1, num_stages: 2, maxnreg: None"));
    QVERIFY2(c, qPrintable(c.error()));
    QCOMPARE(c->value(QLatin1String("BLOCK_SIZE")), QJsonValue(256));
    QCOMPARE(c->value(QLatin1String("EVEN")), QJsonValue(true));
    QCOMPARE(c->value(QLatin1String("MODE")), QJsonValue(QStringLiteral("fast")));
    QCOMPARE(c->value(QLatin1String("maxnreg")), QJsonValue(QJsonValue::Null));
    auto bad = TritonConfigText::parseConfigString(QStringLiteral("BLOCK_SIZE: 256, num_warps: four"));
    QVERIFY(!bad);
    QCOMPARE(bad.error(), QStringLiteral("num_warps: int('four') fails, the import would raise"));
}

void TestDejavuExporter::refusals_data()
{
    QTest::addColumn<DejavuDeployment>("deployment");
    QTest::addColumn<QVector<DejavuEntry>>("entries");
    QTest::addColumn<QString>("message");
    const DejavuDeployment g = goldenDeployment();
    const QVector<DejavuEntry> e = goldenEntries();

    DejavuDeployment d = g;
    d.ignoreDtypes = true;
    QTest::newRow("one-element key") << d << e
        << QStringLiteral("session n=4096: the key ('4096',) has one element; triton-dejavu restores it as (\"4096'\",) and "
                          "never matches it (add the tensor dtypes, i.e. ignore_dtypes off, or a second key)");
    d = g;
    d.gpuName = QStringLiteral("NVIDIA A100-SXM4-80GB");
    QTest::newRow("other gpu") << d << e
        << QStringLiteral("session n=4096: measured on 'NVIDIA H100 80GB HBM3' but gpu_name is 'NVIDIA A100-SXM4-80GB': "
                          "triton-dejavu on that GPU looks in another folder, and this one would be used on a GPU it was "
                          "not tuned for");
    auto failed = e;
    failed[1].measurement = Measurement::failure(Status::WrongResult, QStringLiteral("max abs diff 3.5"));
    QTest::newRow("failed") << g << failed
        << QStringLiteral("session n=1048576: the configuration {\"BLOCK_SIZE\":256,\"num_stages\":2,\"num_warps\":2} has "
                          "status 'wrong_result'; only ok configurations can be exported");
    auto unverified = e;
    unverified[2].measurement.extra.insert(QStringLiteral("verified"), false);
    QTest::newRow("unverified") << g << unverified
        << QStringLiteral("session n=16777216: the configuration {\"BLOCK_SIZE\":1024,\"num_stages\":2,\"num_warps\":4} was "
                          "never verified against the reference output; only verified configurations can be exported");
    auto outside = e;
    outside[0].config.insert(QStringLiteral("BLOCK_SIZE"), 512);
    QTest::newRow("not a config") << g << outside
        << QStringLiteral("session n=4096: the configuration {\"BLOCK_SIZE\":512,\"num_stages\":1,\"num_warps\":4} is none "
                          "of the deployment's 18 configs");
    auto comma = e;
    comma[0].keyValues = QStringList{QStringLiteral("a, b")};
    QTest::newRow("value with comma") << g << comma
        << QStringLiteral("session n=4096: the key ('a, b', 'torch.float32', 'torch.float32', 'torch.float32') does not read "
                          "back as written (a value containing \", \", a quote or a backslash); triton-dejavu would never "
                          "match it");
    auto twice = e;
    twice[1].keyValues = twice[0].keyValues;
    QTest::newRow("duplicate key") << g << twice
        << QStringLiteral("session n=1048576: the key ('4096', 'torch.float32', 'torch.float32', 'torch.float32') appears twice");
    d = g;
    d.configs = d.configs.mid(0, 1);
    QTest::newRow("single config") << d << e
        << QStringLiteral("configs: the kernel has 1 config(s); triton-dejavu consults its cache only when there are at "
                          "least two, so the file would never be read");
    d = g;
    d.tritonVersion = QStringLiteral("3.2.0");
    QTest::newRow("strings of another triton") << d << e
        << QStringLiteral("configs[0]: 'BLOCK_SIZE: 256, num_warps: 2, num_ctas: 1, num_stages: 1, maxnreg: None' does not "
                          "end with the fields str(triton.Config) prints on Triton 3.2.0 (num_warps, num_ctas, num_stages, "
                          "num_buffers_warp_spec, num_consumer_groups, reg_dec_producer, reg_inc_consumer, maxnreg); were the "
                          "strings taken from another Triton?");
    d = g;
    d.dejavuVersion = QStringLiteral("0.6.0");
    QTest::newRow("old dejavu") << d << e
        << QStringLiteral("dejavu_version: 0.6.0 is not supported: only the triton-dejavu 0.7.x storage format is "
                          "implemented (dejavu-cache-format.md)");
    d = g;
    d.gpuName.clear();
    QTest::newRow("no gpu name") << d << e
        << QStringLiteral("gpu_name: missing (torch.cuda.get_device_name() on the deployment)");
    d = g;
    d.keys = QStringList{QStringLiteral("N")};
    QTest::newRow("unknown key") << d << e
        << QStringLiteral("key: 'N' is not an argument of scale_add (x_ptr, y_ptr, out_ptr, n_elements, alpha, BLOCK_SIZE)");
    QTest::newRow("nothing") << g << QVector<DejavuEntry>() << QStringLiteral("nothing to export: no tuned entry");
}

void TestDejavuExporter::refusals()
{
    QFETCH(DejavuDeployment, deployment);
    QFETCH(QVector<DejavuEntry>, entries);
    QFETCH(QString, message);
    auto file = DejavuExporter::render(deployment, entries);
    QVERIFY(!file);
    QCOMPARE(file.error(), message);
}

void TestDejavuExporter::writesTheTreeAtomically()
{
    QTemporaryDir root;
    auto file = DejavuExporter::render(goldenDeployment(), goldenEntries());
    QVERIFY(file);
    auto path = DejavuExporter::write(file.value(), root.path(), false);
    QVERIFY2(path, qPrintable(path.error()));
    QCOMPARE(path.value(), root.filePath(goldenRelativePath()));
    QCOMPARE(readFile(path.value()), readFile(kGoldenRoot + QLatin1Char('/') + goldenRelativePath()));
    // Nothing but the tree: no staging directory left behind.
    QStringList expected;
    QString prefix;
    for (const QString& part : goldenRelativePath().split(QLatin1Char('/'))) {
        prefix = prefix.isEmpty() ? part : prefix + QLatin1Char('/') + part;
        expected.append(prefix);
    }
    expected.sort();
    QCOMPARE(filesBelow(root.path()), expected);
    // Writing the same content again is a no-op, even without force.
    QVERIFY(DejavuExporter::write(file.value(), root.path(), false));

    // A second kernel config list shares the upper directories; only the new branch appears.
    DejavuDeployment d = goldenDeployment();
    d.configs.removeLast();
    auto second = DejavuExporter::render(d, goldenEntries());
    QVERIFY(second);
    QVERIFY(DejavuExporter::write(second.value(), root.path(), false));
    QCOMPARE(filesBelow(root.path()).size(), expected.size() + 3); // kernel_configs-G, default, cache.json
}

void TestDejavuExporter::refusesToOverwriteWithoutForce()
{
    QTemporaryDir root;
    auto file = DejavuExporter::render(goldenDeployment(), goldenEntries());
    QVERIFY(DejavuExporter::write(file.value(), root.path(), false));
    auto faster = goldenEntries();
    faster[0].measurement.objectiveMs = 0.003;
    auto changed = DejavuExporter::render(goldenDeployment(), faster);
    QVERIFY(changed);
    auto refused = DejavuExporter::write(changed.value(), root.path(), false);
    QVERIFY(!refused);
    QCOMPARE(refused.error(), root.filePath(goldenRelativePath()) + QStringLiteral(": exists with different content; pass "
                                                                                  "--force to replace it"));
    QCOMPARE(readFile(root.filePath(goldenRelativePath())), file->json);
    QVERIFY(DejavuExporter::write(changed.value(), root.path(), true));
    QCOMPARE(readFile(root.filePath(goldenRelativePath())), changed->json);
}

void TestDejavuExporter::failedWriteLeavesNothing()
{
    QTemporaryDir root;
    // A file where the runtime directory must go: the write fails and creates nothing.
    QVERIFY(QDir(root.path()).mkpath(QStringLiteral("dejavu_0.7/triton_3.6.0")));
    QFile blocker(root.filePath(QStringLiteral("dejavu_0.7/triton_3.6.0/cuda_12.8")));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const QStringList before = filesBelow(root.path());
    auto file = DejavuExporter::render(goldenDeployment(), goldenEntries());
    auto written = DejavuExporter::write(file.value(), root.path(), false);
    QVERIFY(!written);
    QCOMPARE(written.error(), QDir(root.path()).absolutePath() + QStringLiteral("/dejavu_0.7/triton_3.6.0/cuda_12.8: exists "
                                                                                 "and is not a directory; refusing to write into it"));
    QCOMPARE(filesBelow(root.path()), before);
}

void TestDejavuExporter::readOnlyRootLeavesNothing()
{
    // The staging directory cannot even be made; nothing appears.
    auto file = DejavuExporter::render(goldenDeployment(), goldenEntries());
    QTemporaryDir root2;
    QVERIFY(QFile::setPermissions(root2.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    auto denied = DejavuExporter::write(file.value(), root2.path(), false);
    QFile::setPermissions(root2.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    if (denied)
        QSKIP("running with privileges that ignore directory permissions");
    QCOMPARE(filesBelow(root2.path()), QStringList());
}

QTEST_GUILESS_MAIN(TestDejavuExporter)
#include "tst_dejavuexporter.moc"
