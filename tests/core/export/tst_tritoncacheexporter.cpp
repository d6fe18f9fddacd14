#include "export/TritonCacheExporter.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

namespace {

// tests/data/triton-cache/fixture.json: written by make_fixture.py, which restates Triton 3.6's
// check_disk_cache / cache.put / _base32 expression for expression (see its header).
QJsonObject fixture()
{
    QFile f(QStringLiteral(DEJAVU_TESTDATA_DIR "/triton-cache/fixture.json"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read the fixture");
    return QJsonDocument::fromJson(f.readAll()).object();
}

TritonCacheDeployment deployment()
{
    const QByteArray json = QJsonDocument(fixture().value(QLatin1String("deployment")).toObject()).toJson();
    auto d = TritonCacheDeployment::fromJson(json, QStringLiteral("fixture.json"));
    if (!d)
        qFatal("%s", qPrintable(d.error()));
    return d.value();
}

TritonCacheEntry fixtureEntry()
{
    const QJsonObject e = fixture().value(QLatin1String("entry")).toObject();
    TritonCacheEntry out;
    for (const QJsonValue& v : e.value(QLatin1String("key_values")).toArray())
        out.keyValues.append(qint64(v.toDouble()));
    out.config = e.value(QLatin1String("config")).toObject();
    out.measurement.status = Status::Ok;
    out.measurement.objectiveMs = e.value(QLatin1String("objective_ms")).toDouble();
    for (const QJsonValue& v : e.value(QLatin1String("samples_ms")).toArray())
        out.measurement.samplesMs.append(v.toDouble());
    out.deviceName = QStringLiteral("NVIDIA H100 80GB HBM3");
    out.origin = QStringLiteral("session 1");
    return out;
}

TritonCacheEntry entryFor(qint64 m, int bm, int warps, double ms)
{
    TritonCacheEntry e = fixtureEntry();
    e.keyValues = {m, 4096, 4096};
    e.config[QStringLiteral("BLOCK_M")] = bm;
    e.config[QStringLiteral("num_warps")] = warps;
    e.measurement.objectiveMs = ms;
    e.measurement.samplesMs.clear();
    e.origin = QStringLiteral("session M=%1").arg(m);
    return e;
}

QStringList filesBelow(const QString& root)
{
    QStringList out;
    QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext())
        out.append(QDir(root).relativeFilePath(it.next()));
    out.sort();
    return out;
}

} // namespace

class TestTritonCacheExporter : public QObject {
    Q_OBJECT
private slots:
    void base32MatchesRfc4648()
    {
        // RFC 4648 §10 test vectors, padding stripped as _base32 does.
        QCOMPARE(TritonCacheExporter::base32("f"), QStringLiteral("MY"));
        QCOMPARE(TritonCacheExporter::base32("foob"), QStringLiteral("MZXW6YQ"));
        QCOMPARE(TritonCacheExporter::base32("foobar"), QStringLiteral("MZXW6YTBOI"));
    }

    void tuningKeyIsPythonTupleText()
    {
        QCOMPARE(TritonCacheExporter::tuningKey({4096}, {}), QStringLiteral("(4096,)"));
        QCOMPARE(TritonCacheExporter::tuningKey({1, 4096}, {QStringLiteral("torch.float16")}),
                 QStringLiteral("(1, 4096, 'torch.float16')"));
    }

    void reproducesTritonsDirectoryAndFile()
    {
        const QJsonObject expected = fixture().value(QLatin1String("expected")).toObject();
        auto files = TritonCacheExporter::render(deployment(), {fixtureEntry()});
        QVERIFY2(files, qPrintable(files.error()));
        QCOMPARE(files->size(), 1);
        const TritonCacheFile& f = files->first();
        QCOMPARE(f.tuningKey, expected.value(QLatin1String("tuning_key")).toString());
        QCOMPARE(f.directory, expected.value(QLatin1String("directory")).toString());
        QCOMPARE(f.fileName, expected.value(QLatin1String("file_name")).toString());
        QCOMPARE(QString::fromUtf8(f.json), expected.value(QLatin1String("json")).toString());
    }

    void realH100InputsGiveTheDirectoriesTritonLookedUp_data()
    {
        // deploy-h100-*.json: kernels/triton/deployment.py on the H100 (Triton 3.6.0, 2026-11-25).
        // The directories: what Triton's own check_disk_cache asked get_cache_manager for, in a
        // fresh process of bench/gpu/deployment_check.py (its "looked_up"), for each key.
        QTest::addColumn<QString>("file");
        QTest::addColumn<QVector<qint64>>("key");
        QTest::addColumn<QString>("directory");
        const QString mm = QStringLiteral("deploy-h100-matmul.json"), rn = QStringLiteral("deploy-h100-rmsnorm.json");
        QTest::newRow("matmul M=256") << mm << QVector<qint64>{256, 4096, 4096} << QStringLiteral("ZODCS6OLTJQ2YE26USZADJX6GHFP7DLBHBBXYHOZ5GLAIT4HBETQ");
        QTest::newRow("matmul M=1024") << mm << QVector<qint64>{1024, 4096, 4096} << QStringLiteral("BFZ2EEYOOWPASB4UUUV2Y42Y43ETNVW27WPY3YLYVVXA5C3OHFQQ");
        QTest::newRow("matmul M=4096") << mm << QVector<qint64>{4096, 4096, 4096} << QStringLiteral("IV4WT7DAQ2GG3XR6XSIIGDSFK4YKXUSOUVIQXIR3KB3GRJ72WEAQ");
        QTest::newRow("rmsnorm N=1024") << rn << QVector<qint64>{1024} << QStringLiteral("XWTN56TDT5HRIO5AJKDL66JMXLJHRSJSLHAVBJ2L4TEGGJSJ7A5Q");
        QTest::newRow("rmsnorm N=4096") << rn << QVector<qint64>{4096} << QStringLiteral("FSOILJWKQZAW2E7VFS4VXJTOAC65Z2GQWHCDEUW3UQWNEIPOFLPA");
        QTest::newRow("rmsnorm N=8192") << rn << QVector<qint64>{8192} << QStringLiteral("5RAEEKS6YNLVI3IS2GUU3Q5LB7XNHR2ACFHUPF3TC7NI2XR5CN4A");
    }

    void realH100InputsGiveTheDirectoriesTritonLookedUp()
    {
        QFETCH(QString, file);
        QFETCH(QVector<qint64>, key);
        QFETCH(QString, directory);
        QFile f(QStringLiteral(DEJAVU_TESTDATA_DIR "/triton-cache/") + file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        auto d = TritonCacheDeployment::fromJson(f.readAll(), file);
        QVERIFY2(d, qPrintable(d.error()));
        QCOMPARE(d->gpuName, QStringLiteral("NVIDIA H100 80GB HBM3"));
        QCOMPARE(TritonCacheExporter::directoryName(d.value(), TritonCacheExporter::tuningKey(key, d->dtypes)), directory);
        // A full render (with the file's own check) for the first configuration goes there too,
        // with ir_override (not printed by 3.6's str(Config)) taken from config_defaults.
        auto fields = TritonCacheExporter::parseConfigString(d->configs.first());
        QVERIFY(fields);
        TritonCacheEntry e;
        e.keyValues = key;
        for (const auto& [name, text] : fields.value())
            if (name != QLatin1String("num_ctas") && name != QLatin1String("maxnreg"))
                e.config.insert(name, text.toInt());
        e.measurement.status = Status::Ok;
        e.measurement.objectiveMs = 0.5;
        e.deviceName = d->gpuName;
        e.origin = QStringLiteral("test");
        auto files = TritonCacheExporter::render(d.value(), {e});
        QVERIFY2(files, qPrintable(files.error()));
        QCOMPARE(files->first().directory, directory);
        QVERIFY(files->first().json.contains("\"maxnreg\": null, \"pre_hook\": null, \"ir_override\": null}"));
    }

    void checkValuesFromTritonAreVerified()
    {
        const QJsonObject expected = fixture().value(QLatin1String("expected")).toObject();
        TritonCacheDeployment d = deployment();
        d.check = TritonCacheDeployment::Check{{256, 4096, 4096}, expected.value(QLatin1String("tuning_key")).toString(),
                                               expected.value(QLatin1String("directory")).toString(),
                                               QStringLiteral("matmul_kernel.autotune.json")};
        QVERIFY(TritonCacheExporter::render(d, {fixtureEntry()}));
        // One changed hash input (another fn.cache_key) no longer reproduces Triton's directory.
        d.hashPrefix[2] = QStringLiteral("another-fn-cache-key");
        auto refused = TritonCacheExporter::render(d, {fixtureEntry()});
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(QLatin1String("check.directory")), qPrintable(refused.error()));
    }

    void roundTripThroughTheDirectory()
    {
        QTemporaryDir dir;
        const TritonCacheDeployment d = deployment();
        const QVector<TritonCacheEntry> entries{entryFor(256, 128, 8, 0.02), entryFor(1024, 64, 4, 0.05)};
        auto files = TritonCacheExporter::render(d, entries);
        QVERIFY2(files, qPrintable(files.error()));
        auto written = TritonCacheExporter::write(files.value(), dir.path(), false);
        QVERIFY2(written, qPrintable(written.error()));
        QCOMPARE(written->size(), 2);
        QCOMPARE(filesBelow(dir.path()).size(), 2); // no staging leftovers
        for (int i = 0; i < 2; ++i) {
            QFile f(written->at(i));
            QVERIFY(f.open(QIODevice::ReadOnly));
            auto picked = TritonCacheExporter::readBack(d, f.readAll());
            QVERIFY2(picked, qPrintable(picked.error()));
            QCOMPARE(picked.value(), files->at(i).configString);
            QVERIFY(picked->startsWith(QStringLiteral("BLOCK_M: %1, ").arg(entries[i].config.value(QLatin1String("BLOCK_M")).toInt())));
        }
        // Identical again: accepted. Different: only with force.
        QVERIFY(TritonCacheExporter::write(files.value(), dir.path(), false));
        auto faster = TritonCacheExporter::render(d, {entryFor(256, 64, 8, 0.01)});
        QVERIFY(faster);
        auto refused = TritonCacheExporter::write(faster.value(), dir.path(), false);
        QVERIFY(!refused);
        QVERIFY(refused.error().contains(QLatin1String("--force")));
        QVERIFY(TritonCacheExporter::write(faster.value(), dir.path(), true));
        QFile f(written->at(0));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(TritonCacheExporter::readBack(d, f.readAll())->startsWith(QLatin1String("BLOCK_M: 64, ")));
    }

    void readBackPicksTheMinimalTimings()
    {
        const TritonCacheDeployment d = deployment();
        const QString a = QStringLiteral(R"({"kwargs": {"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 8}, "num_warps": 4, "num_ctas": 1, "num_stages": 3, "maxnreg": null, "pre_hook": null, "ir_override": null})");
        const QString b = QStringLiteral(R"({"kwargs": {"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 32, "GROUP_M": 8}, "num_warps": 8, "num_ctas": 1, "num_stages": 4, "maxnreg": null, "pre_hook": null, "ir_override": null})");
        const QByteArray json = QStringLiteral(R"({"key": [], "configs_timings": [[%1, [0.5, 0.4, 0.6]], [%2, [0.5, 0.3, 0.6]]]})").arg(a, b).toUtf8();
        auto picked = TritonCacheExporter::readBack(d, json);
        QVERIFY2(picked, qPrintable(picked.error()));
        QCOMPARE(picked.value(), d.configs.last()); // equal medians: the second element decides
        // A field this Triton's Config() does not take makes Config(**config) raise.
        QByteArray bad = json;
        bad.replace("\"ir_override\": null}, [0.5, 0.4", "\"ir_override\": null, \"num_buffers_warp_spec\": 0}, [0.5, 0.4");
        auto refused = TritonCacheExporter::readBack(d, bad);
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(QLatin1String("num_buffers_warp_spec")), qPrintable(refused.error()));
    }

    void unprintedFieldsTakeTheConfigDefaults()
    {
        // A Triton whose Config has a field str() does not print: its default goes in the file,
        // and without a default the export is refused (Config(**config) would get a wrong value).
        TritonCacheDeployment d = deployment();
        d.configFields.append(QStringLiteral("num_buffers_warp_spec"));
        auto refused = TritonCacheExporter::render(d, {fixtureEntry()});
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(QLatin1String("num_buffers_warp_spec")), qPrintable(refused.error()));
        d.configDefaults.insert(QStringLiteral("num_buffers_warp_spec"), 0);
        auto files = TritonCacheExporter::render(d, {fixtureEntry()});
        QVERIFY2(files, qPrintable(files.error()));
        QVERIFY(files->first().json.contains("\"ir_override\": null, \"num_buffers_warp_spec\": 0}"));
    }

    void launchOptionsOnlySpace()
    {
        // A space of launch options alone: Config({}, num_warps=...) prints no kwargs.
        TritonCacheDeployment d = deployment();
        d.configs = QStringList{QStringLiteral("num_warps: 4, num_ctas: 1, num_stages: 3, maxnreg: None, ir_override: None"),
                                QStringLiteral("num_warps: 8, num_ctas: 1, num_stages: 3, maxnreg: None, ir_override: None")};
        TritonCacheEntry e = fixtureEntry();
        e.config = QJsonObject{{QStringLiteral("num_warps"), 8}};
        auto files = TritonCacheExporter::render(d, {e});
        QVERIFY2(files, qPrintable(files.error()));
        QCOMPARE(files->first().configString, d.configs.last());
        QVERIFY(files->first().json.contains("[[{\"kwargs\": {}, \"num_warps\": 8, "));
    }

    void refusals_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("message");
        QTest::newRow("failed") << "failed" << "not an ok, verified measurement";
        QTest::newRow("unverified") << "unverified" << "not an ok, verified measurement";
        QTest::newRow("not a config") << "foreign" << "not among the deployment's 16 configs";
        QTest::newRow("other gpu") << "gpu" << "deployment runs on 'NVIDIA H100 80GB HBM3'";
        QTest::newRow("same key twice") << "duplicate" << "give the same autotuner key";
        QTest::newRow("one config") << "single" << "only with two or more";
        QTest::newRow("old triton") << "old" << "needs Triton 3.4 or later";
        QTest::newRow("key arity") << "arity" << "2 key values for the key M, N, K";
    }

    void refusals()
    {
        QFETCH(QString, what);
        QFETCH(QString, message);
        TritonCacheDeployment d = deployment();
        QVector<TritonCacheEntry> entries{entryFor(256, 128, 8, 0.02)};
        if (what == QLatin1String("failed"))
            entries[0].measurement = Measurement::failure(Status::RuntimeError, QStringLiteral("illegal address"));
        else if (what == QLatin1String("unverified"))
            entries[0].measurement.extra[QStringLiteral("verified")] = false;
        else if (what == QLatin1String("foreign"))
            entries[0].config[QStringLiteral("BLOCK_K")] = 64;
        else if (what == QLatin1String("gpu"))
            entries[0].deviceName = QStringLiteral("NVIDIA A100-SXM4-80GB");
        else if (what == QLatin1String("duplicate"))
            entries.append(entryFor(256, 64, 4, 0.03));
        else if (what == QLatin1String("single"))
            d.configs = d.configs.mid(0, 1);
        else if (what == QLatin1String("old"))
            d.tritonVersion = QStringLiteral("3.3.1");
        else if (what == QLatin1String("arity"))
            entries[0].keyValues = {256, 4096};
        auto r = TritonCacheExporter::render(d, entries);
        QVERIFY(!r);
        QVERIFY2(r.error().contains(message), qPrintable(r.error()));
    }

    void badDeploymentFilesNameTheField_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("no prefix") << QByteArray(R"({"triton_version": "3.6.0", "fn_name": "k", "key": ["N"], "dtypes": [], "configs": [], "config_fields": ["kwargs"]})")
                                   << "missing field 'hash_prefix'";
        QTest::newRow("short prefix") << QByteArray(R"({"triton_version": "3.6.0", "fn_name": "k", "hash_prefix": ["a"], "key": ["N"], "dtypes": [], "configs": [], "config_fields": ["kwargs"]})")
                                      << "hash_prefix: expected 4 strings";
        QTest::newRow("number in configs") << QByteArray(R"({"triton_cache": {"triton_version": "3.6.0", "fn_name": "k", "hash_prefix": ["a","b","c","d"], "key": ["N"], "dtypes": [], "configs": [1], "config_fields": ["kwargs"]}})")
                                           << "deploy.json: triton_cache.configs[0]: expected a string";
        // Read before they were bounded (found while writing fuzz_triton_cache): 1e10 became position 0,
        // 1e300 as a key value was undefined behaviour.
        QTest::newRow("position beyond int") << QByteArray(R"({"triton_version": "3.6.0", "fn_name": "k", "hash_prefix": ["a","b","c","d"], "key": ["N"], "dtypes": [], "configs": [], "config_fields": ["kwargs"], "key_from_problem": [10000000000]})")
                                             << "deploy.json.key_from_problem: expected non-negative integers, got [10000000000]";
        QTest::newRow("key value beyond 2^53") << QByteArray(R"j({"triton_version": "3.6.0", "fn_name": "k", "hash_prefix": ["a","b","c","d"], "key": ["N"], "dtypes": [], "configs": [], "config_fields": ["kwargs"], "check": {"key_values": [1e300], "tuning_key": "(1,)", "directory": "D", "file_name": "k.autotune.json"}})j")
                                               << "deploy.json.check.key_values: expected integers, got 1e+300";
    }

    void badDeploymentFilesNameTheField()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, message);
        auto d = TritonCacheDeployment::fromJson(json, QStringLiteral("deploy.json"));
        QVERIFY(!d);
        QVERIFY2(d.error().contains(message), qPrintable(d.error()));
    }

    void refusedWriteLeavesNothing()
    {
        QTemporaryDir dir;
        const TritonCacheDeployment d = deployment();
        auto first = TritonCacheExporter::render(d, {entryFor(256, 128, 8, 0.02)});
        QVERIFY(TritonCacheExporter::write(first.value(), dir.path(), false));
        // The second file is new, the first conflicts: nothing of the two may be written.
        auto both = TritonCacheExporter::render(d, {entryFor(256, 64, 4, 0.01), entryFor(4096, 128, 8, 0.3)});
        QVERIFY(both);
        const QStringList before = filesBelow(dir.path());
        QVERIFY(!TritonCacheExporter::write(both.value(), dir.path(), false));
        QCOMPARE(filesBelow(dir.path()), before);
    }
};

QTEST_GUILESS_MAIN(TestTritonCacheExporter)
#include "tst_tritoncacheexporter.moc"
