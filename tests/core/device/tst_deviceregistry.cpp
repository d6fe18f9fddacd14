#include "device/DeviceRegistry.h"
#include "TestSupport.h"
#include "base/Gzip.h"
#include "export/SessionExport.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace dv;

namespace {

// The ids the shipped files should get, worked out from the source tree.
QStringList expectedIds()
{
    QStringList ids;
    QDirIterator it(QStringLiteral(DEJAVU_DATASETS_DIR), {QStringLiteral("*.json.gz")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QFileInfo info(it.next());
        QString name = info.fileName();
        name.chop(int(qstrlen(".json.gz")));
        ids.append(QStringLiteral("replay:") + info.dir().dirName() + QLatin1Char('/') + name);
    }
    ids.sort();
    return ids;
}

QString pathOf(const QString& id)
{
    return QStringLiteral(DEJAVU_DATASETS_DIR "/") + id.mid(int(qstrlen("replay:"))) + QStringLiteral(".json.gz");
}

qint64 entriesIn(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const auto text = gunzip(f.readAll(), path);
    if (!text)
        return -1;
    return QJsonDocument::fromJson(text.value()).object().value(QLatin1String("cache")).toObject().size();
}

const QByteArray kSmallCache = R"({
"device_name": "My GPU",
"kernel_name": "saxpy",
"problem_size": [4096],
"tune_params_keys": ["block_size_x"],
"tune_params": {"block_size_x": [64, 128, 256]},
"cache": {
"64": {"block_size_x": 64, "time": 0.25},
"128": {"block_size_x": 128, "time": "CompilationFailedConfig"}
}
})";

} // namespace

class TestDeviceRegistry : public QObject {
    Q_OBJECT

private slots:
    void builtinReplayIds();
    void openById_data();
    void openById();
    void openByPath_data();
    void openByPath();
    void unknownId_data();
    void unknownId();
    void corruptFileNamesThePath();
    void datasetLimits();
    void list();
    void datasetNotices();
    void startsProcess_data();
    void startsProcess();
    void openRecordedNeverRunsAnything_data();
    void openRecordedNeverRunsAnything();
    void openRecordedReadsOnlyRegularFiles();
    void sessionExportNeverRunsAStoredDevice_data();
    void sessionExportNeverRunsAStoredDevice();
};

namespace {

/// A device id that, were it run, would create `marker`.
QString touching(const QString& marker) { return QStringLiteral("worker:sh -c 'touch %1'").arg(marker); }

/// A result store as someone else might hand it over: a real session replayed on `replayId`
/// whose stored device says backend "replay" but whose id is `deviceId`.
qint64 storeWithDevice(ResultStore& store, const QString& deviceId, const QString& replayId)
{
    auto memory = test::openStore(QStringLiteral(":memory:"));
    SessionOptions options{QStringLiteral("random"), {}, 1, 20, 0};
    auto session = Session::create(*memory, test::openDevice(replayId), options);
    if (!session || !session.value()->run())
        qFatal("the replayed session failed");
    SessionRecord record = memory->session(session.value()->id()).value();
    record.device.id = deviceId;
    record.device.details.insert(QStringLiteral("deployment"), test::madeUpRmsnormDeployment());
    const qint64 id = store.createSession(record).value();
    const QVector<Trial> trials = memory->trials(record.id).value();
    for (Trial t : trials) {
        t.sessionId = id;
        if (!store.appendTrial(t, record.elapsedMs))
            qFatal("cannot store a trial");
    }
    return id;
}

} // namespace

void TestDeviceRegistry::startsProcess_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<bool>("starts");
    QTest::newRow("worker") << QStringLiteral("worker:sh -c 'touch x'") << true;
    QTest::newRow("worker with options") << QStringLiteral("worker:timeout=1 ssh host w") << true;
    QTest::newRow("cuda") << QStringLiteral("cuda:0") << true;
    QTest::newRow("hip with kernel and arguments") << QStringLiteral("hip:1/gemm timeout=5 --flag") << true;
    QTest::newRow("triton") << QStringLiteral("triton:0/matmul") << true;
    QTest::newRow("built-in replay") << QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096") << false;
    QTest::newRow("path") << QStringLiteral("/data/my.json.gz") << false;
    QTest::newRow("replay path") << QStringLiteral("replay:/data/my.json.gz") << false;
    QTest::newRow("not a worker name") << QStringLiteral("cuda:x") << false;
}

void TestDeviceRegistry::startsProcess()
{
    QFETCH(QString, id);
    QFETCH(bool, starts);
    QCOMPARE(DeviceRegistry::startsProcess(id), starts);
}

void TestDeviceRegistry::openRecordedNeverRunsAnything_data()
{
    QTest::addColumn<QString>("prefix");
    QTest::newRow("worker") << QStringLiteral("worker:");
    QTest::newRow("worker with options") << QStringLiteral("worker:timeout=5 ");
}

// A stored id is data: openRecorded() refuses a command line without running it.
void TestDeviceRegistry::openRecordedNeverRunsAnything()
{
    QFETCH(QString, prefix);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString marker = dir.filePath(QStringLiteral("pwned"));
    const QString id = prefix + QStringLiteral("sh -c 'touch %1'").arg(marker);
    const auto device = DeviceRegistry::openRecorded(id);
    QVERIFY(!device);
    QCOMPARE(device.error(), QStringLiteral("device '%1' is a worker command line, not a recorded landscape; it is not run").arg(id));
    QVERIFY(!QFileInfo::exists(marker));
    // A built-in dataset and a dataset file still open.
    QVERIFY(DeviceRegistry::openRecorded(QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096")));
    QVERIFY(DeviceRegistry::openRecorded(pathOf(QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"))));
}

// A FIFO would block the read for ever and a directory is no dataset: refused before reading.
void TestDeviceRegistry::openRecordedReadsOnlyRegularFiles()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString fifo = dir.filePath(QStringLiteral("landscape.json"));
    QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    for (const QString& id : QStringList{fifo, QStringLiteral("replay:") + fifo, dir.path()}) {
        const QString path = id.startsWith(QLatin1String("replay:")) ? id.mid(7) : id;
        const auto recorded = DeviceRegistry::openRecorded(id);
        QVERIFY(!recorded);
        QCOMPARE(recorded.error(), QStringLiteral("%1: not a regular file (a dataset is a Kernel Tuner cache file)").arg(path));
        QVERIFY(!DeviceRegistry::open(id)); // the measuring open goes the same way
    }
}

void TestDeviceRegistry::sessionExportNeverRunsAStoredDevice_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<bool>("exports");
    for (const QString& f : SessionExport::formats())
        QTest::newRow(qPrintable(f)) << f << (f != QLatin1String("triton-cache")); // no triton-cache values stored
}

// Exporting a store that names a command line as its (replay) device reads the session and never
// runs the command (the ladder's coverage used to reopen the device to read its landscape).
void TestDeviceRegistry::sessionExportNeverRunsAStoredDevice()
{
    QFETCH(QString, format);
    QFETCH(bool, exports);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString marker = dir.filePath(QStringLiteral("pwned"));
    auto store = test::openStore(dir.filePath(QStringLiteral("hostile.sqlite")));
    // RMSNorm for the dejavu deployment stored with it, a (made-up) fused MoE layer for vLLM and sglang.
    const qint64 rmsnorm = storeWithDevice(*store, touching(marker), QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"));
    const QString moeFile = test::writeMadeUpMoeDataset(dir.filePath(QStringLiteral("moe.json")), 1024, 8, 4096, 4096);
    QVERIFY(!moeFile.isEmpty());
    const qint64 moe = storeWithDevice(*store, touching(marker), moeFile);

    SessionExportOptions options;
    options.format = format;
    const bool moeFormat = format == QLatin1String("vllm") || format == QLatin1String("sglang");
    options.sessionIds = {moeFormat ? moe : rmsnorm};
    if (format == QLatin1String("sglang"))
        options.vllm.tritonVersion = QStringLiteral("3.4.0"); // a replay records none
    options.out = dir.filePath(SessionExport::isDeploymentFormat(format) ? QStringLiteral("out") : QStringLiteral("out.txt"));
    options.vllm.experts = 8;
    options.vllm.n = 4096;
    SessionExport exporter(options);
    auto summary = exporter.run(*store);
    QVERIFY2(bool(summary) == exports, qPrintable(summary ? summary->text() : summary.error()));
    QVERIFY2(!QFileInfo::exists(marker), "the stored device's command line was run");
}

void TestDeviceRegistry::builtinReplayIds()
{
    const QStringList ids = DeviceRegistry::builtinReplayIds();
    QCOMPARE(ids.size(), 13);
    QCOMPARE(ids, expectedIds());
    QVERIFY(ids.contains(QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096")));
    QVERIFY(ids.contains(QStringLiteral("replay:h100/triton_matmul_fp16_M1024_N1024_K1024")));
    QVERIFY(ids.contains(QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows32768_N4096")));
    QVERIFY(ids.contains(QStringLiteral("replay:kerneltuner/convolution_A100")));
    QVERIFY(ids.contains(QStringLiteral("replay:kerneltuner/convolution_MI250X")));
    QVERIFY(ids.contains(QStringLiteral("replay:kerneltuner/pnpoly_RTX_3090")));
    QCOMPARE(ids.filter(QStringLiteral("replay:h100/")).size(), 9);
    QCOMPARE(ids.filter(QStringLiteral("replay:kerneltuner/")).size(), 4);
    for (const QString& id : ids)
        QVERIFY2(!id.endsWith(QLatin1String(".gz")) && !id.endsWith(QLatin1String(".json")), qPrintable(id));
    QStringList sorted = ids;
    sorted.sort();
    QCOMPARE(ids, sorted);
}

void TestDeviceRegistry::openById_data()
{
    QTest::addColumn<QString>("id");
    for (const QString& id : expectedIds())
        QTest::newRow(qPrintable(id)) << id;
}

void TestDeviceRegistry::openById()
{
    QFETCH(QString, id);

    const auto device = DeviceRegistry::open(id);
    QVERIFY2(device.ok(), qPrintable(device.error()));
    const DeviceInfo info = device.value()->info();
    QCOMPARE(info.id, id);
    QCOMPARE(info.backend, QStringLiteral("replay"));
    QVERIFY(!info.name.isEmpty());
    QCOMPARE(device.value()->workload().space.size(), entriesIn(pathOf(id)));
    // The built-in copy is the shipped file: the same recording as opening it from disk.
    const auto fromDisk = DeviceRegistry::open(pathOf(id));
    QVERIFY2(fromDisk.ok(), qPrintable(fromDisk.error()));
    QCOMPARE(fromDisk.value()->info().toolchain, info.toolchain);
    QCOMPARE(fromDisk.value()->info().name, info.name);
}

void TestDeviceRegistry::openByPath_data()
{
    QTest::addColumn<bool>("withPrefix");
    QTest::addColumn<bool>("compressed");

    QTest::newRow("plain path, json") << false << false;
    QTest::newRow("plain path, gzip") << false << true;
    QTest::newRow("replay: path, json") << true << false;
    QTest::newRow("replay: path, gzip") << true << true;
}

void TestDeviceRegistry::openByPath()
{
    QFETCH(bool, withPrefix);
    QFETCH(bool, compressed);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(compressed ? QStringLiteral("saxpy.json.gz") : QStringLiteral("saxpy.json"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(compressed ? gzip(kSmallCache) : kSmallCache);
    }
    const QString id = withPrefix ? QStringLiteral("replay:") + path : path;
    const auto device = DeviceRegistry::open(id);
    QVERIFY2(device.ok(), qPrintable(device.error()));
    const DeviceInfo info = device.value()->info();
    QCOMPARE(info.id, QStringLiteral("replay:") + QFileInfo(path).absoluteFilePath());
    QCOMPARE(info.name, QStringLiteral("My GPU"));
    QCOMPARE(info.backend, QStringLiteral("replay"));
    QCOMPARE(device.value()->workload().kernel, QStringLiteral("saxpy"));
    QCOMPARE(device.value()->workload().problem, QStringLiteral("[4096]"));
    QCOMPARE(device.value()->workload().space.size(), qint64(2));

    const Measurement timed = device.value()->evaluate(QJsonObject{{QStringLiteral("block_size_x"), 64}});
    QCOMPARE(timed.status, Status::Ok);
    QCOMPARE(timed.objectiveMs, 0.25);
    QCOMPARE(device.value()->evaluate(QJsonObject{{QStringLiteral("block_size_x"), 128}}).status, Status::CompileError);
    QCOMPARE(device.value()->evaluate(QJsonObject{{QStringLiteral("block_size_x"), 256}}).status, Status::Invalid);
}

void TestDeviceRegistry::unknownId_data()
{
    QTest::addColumn<QString>("id");

    QTest::newRow("unknown dataset") << QStringLiteral("replay:h100/triton_matmul_fp16_M1_N1_K1");
    QTest::newRow("unknown folder") << QStringLiteral("replay:a100/convolution");
    QTest::newRow("missing file") << QStringLiteral(DEJAVU_DATASETS_DIR "/h100/no_such_file.json.gz");
    QTest::newRow("not a replay id") << QStringLiteral("opencl:7"); // cuda:N, hip:N, triton:N name workers
    QTest::newRow("empty") << QString();
}

void TestDeviceRegistry::unknownId()
{
    QFETCH(QString, id);

    const auto device = DeviceRegistry::open(id);
    QVERIFY(!device.ok());
    QVERIFY2(device.error().startsWith(QStringLiteral("unknown device '%1': ").arg(id)), qPrintable(device.error()));
    QVERIFY(device.error().contains(QLatin1String("not a built-in dataset")));
    QVERIFY(device.error().contains(QLatin1String("dejavu-tune devices")));
}

void TestDeviceRegistry::corruptFileNamesThePath()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("broken.json.gz"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(gzip(kSmallCache).left(40));
    }
    const auto device = DeviceRegistry::open(path);
    QVERIFY(!device.ok());
    QVERIFY2(device.error().startsWith(path + QStringLiteral(": corrupt gzip data")), qPrintable(device.error()));

    const QString json = dir.filePath(QStringLiteral("bad.json"));
    {
        QFile f(json);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(kSmallCache).replace("\"time\": 0.25", "\"time\": \"Oops\""));
    }
    const auto bad = DeviceRegistry::open(QStringLiteral("replay:") + json);
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().startsWith(json + QStringLiteral(": cache[\"64\"].time: unknown failure 'Oops'")),
             qPrintable(bad.error()));
}

void TestDeviceRegistry::datasetLimits()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // A plain file past the limit a compressed one may inflate to (sparse: no disk used).
    const QString huge = dir.filePath(QStringLiteral("huge.json"));
    {
        QFile f(huge);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.resize(kMaxInflatedBytes + 1));
    }
    const auto big = DeviceRegistry::open(huge);
    QVERIFY(!big.ok());
    QCOMPARE(big.error(), huge + QStringLiteral(": 268435457 bytes, more than the 256 MiB a dataset may have"));
    // A FIFO is no dataset: reading it would wait for a writer forever.
    const QString fifo = dir.filePath(QStringLiteral("pipe.json"));
    QCOMPARE(QProcess::execute(QStringLiteral("mkfifo"), {fifo}), 0);
    const auto pipe = DeviceRegistry::open(fifo);
    QVERIFY(!pipe.ok());
    QCOMPARE(pipe.error(), fifo + QStringLiteral(": not a regular file (a dataset is a Kernel Tuner cache file)"));
}

void TestDeviceRegistry::list()
{
    const auto entries = DeviceRegistry::list();
    QVERIFY2(entries.ok(), qPrintable(entries.error()));
    QCOMPARE(entries->size(), 13);
    QStringList ids;
    for (const DeviceRegistry::Entry& e : entries.value()) {
        ids.append(e.id);
        QCOMPARE(e.configurations, entriesIn(pathOf(e.id)));
        QVERIFY(!e.kernel.isEmpty());
        QVERIFY(!e.deviceName.isEmpty());
        QVERIFY(!e.problem.isEmpty());
    }
    QCOMPARE(ids, expectedIds());
    const DeviceRegistry::Entry& mi250x = entries.value()[ids.indexOf(QStringLiteral("replay:kerneltuner/convolution_MI250X"))];
    QCOMPARE(mi250x.deviceName, QStringLiteral("convolution_MI250X"));
    const DeviceRegistry::Entry& h100 = entries.value()[ids.indexOf(QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"))];
    QCOMPARE(h100.deviceName, QStringLiteral("NVIDIA H100 80GB HBM3"));
    QCOMPARE(h100.configurations, qint64(384));
}

void TestDeviceRegistry::datasetNotices()
{
    const QString notices = DeviceRegistry::datasetNotices();
    QVERIFY(notices.contains(QLatin1String("AutoTuningAssociation")));
    QVERIFY(notices.contains(QLatin1String("benchmark_hub")));
    QVERIFY(notices.contains(QLatin1String("MIT License")));
    QFile licence(QStringLiteral(DEJAVU_DATASETS_DIR "/kerneltuner/LICENSE.benchmark_hub"));
    QVERIFY(licence.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(licence.readAll());
    QVERIFY(text.contains(QLatin1String("Permission is hereby granted, free of charge")));
    QVERIFY(notices.contains(text));
}

QTEST_GUILESS_MAIN(TestDeviceRegistry)
#include "tst_deviceregistry.moc"
