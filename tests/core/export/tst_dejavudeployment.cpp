#include "export/DejavuDeployment.h"

#include <QFile>
#include <QTest>

using namespace dv;

class TestDejavuDeployment : public QObject {
    Q_OBJECT
private slots:
    void readsTheExampleFile();
    void errorsNameTheField_data();
    void errorsNameTheField();
};

void TestDejavuDeployment::readsTheExampleFile()
{
    const QString path = QStringLiteral(DEJAVU_TESTDATA_DIR "/dejavu-deployment-scale_add.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    auto d = DejavuDeployment::fromJson(f.readAll(), path);
    QVERIFY2(d, qPrintable(d.error()));
    QCOMPARE(d->tritonVersion, QStringLiteral("3.6.0"));
    QCOMPARE(d->gpuName, QStringLiteral("NVIDIA H100 80GB HBM3"));
    QCOMPARE(d->signature, QStringLiteral("JITFunction(__main__:scale_add)"));
    QCOMPARE(d->keys, QStringList{QStringLiteral("n_elements")});
    QCOMPARE(d->configs.size(), 18);
    QCOMPARE(d->params.warmup, 5);
    QCOMPARE(d->params.rep, 20);
    QCOMPARE(d->params.searchMaxSearchT, 180);
    QCOMPARE(d->keyFromProblem, QVector<int>{0});
}

void TestDejavuDeployment::errorsNameTheField_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("message");
    const QByteArray base = R"j("triton_version": "3.1.0", "gpu_name": "G", "key": ["n"], "configs": ["a: 1", "a: 2"], )j";
    QTest::newRow("no kernel") << QByteArray("{" + base.chopped(2) + "}") << QStringLiteral("d.json: kernel: missing");
    QTest::newRow("no signature") << QByteArray("{" + base + R"j("kernel": {"src": "def f(): pass\n"}})j")
                                  << QStringLiteral("d.json: kernel.signature: missing");
    QTest::newRow("unknown field") << QByteArray("{" + base + R"j("kernel": {"signature": "JITFunction(m:f)"}, "gpu": 1})j")
                                   << QStringLiteral("d.json: gpu: unknown field");
    QTest::newRow("bad warmup") << QByteArray("{" + base + R"j("kernel": {"signature": "JITFunction(m:f)"}, "autotune": {"warmup": "5"}})j")
                                << QStringLiteral("d.json: autotune.warmup: expected an integer >= 0, got \"5\"");
    // Read before they were bounded (found while writing fuzz_dejavu_deployment): 2^32 + 1 became 1, 1e10 position 0.
    QTest::newRow("warmup beyond int") << QByteArray("{" + base + R"j("kernel": {"signature": "JITFunction(m:f)"}, "autotune": {"warmup": 4294967297}})j")
                                       << QStringLiteral("d.json: autotune.warmup: expected an integer <= 2147483647, got 4294967297");
    QTest::newRow("position beyond int") << QByteArray("{" + base + R"j("kernel": {"signature": "JITFunction(m:f)"}, "key_from_problem": [10000000000]})j")
                                         << QStringLiteral("d.json: key_from_problem: 10000000000 is not a position");
    QTest::newRow("bad key") << QByteArray(R"j({"triton_version": "3.1.0", "gpu_name": "G", "key": [1], "configs": [], "kernel": {"signature": "JITFunction(m:f)"}})j")
                             << QStringLiteral("d.json: key[0]: expected a string, got 1");
    QTest::newRow("positions") << QByteArray("{" + base + R"j("kernel": {"signature": "JITFunction(m:f)"}, "key_from_problem": [0, 1]})j")
                               << QStringLiteral("d.json: key_from_problem: 2 position(s) for 1 key(s)");
    QTest::newRow("no configs") << QByteArray(R"j({"triton_version": "3.1.0", "gpu_name": "G", "key": ["n"], "kernel": {"signature": "JITFunction(m:f)"}})j")
                                << QStringLiteral("d.json: configs: missing (the str(triton.Config) list, or config_space)");
}

void TestDejavuDeployment::errorsNameTheField()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    auto d = DejavuDeployment::fromJson(json, QStringLiteral("d.json"));
    QVERIFY(!d);
    QCOMPARE(d.error(), message);
}

QTEST_GUILESS_MAIN(TestDejavuDeployment)
#include "tst_dejavudeployment.moc"
