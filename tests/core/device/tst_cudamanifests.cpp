// The manifests of the native CUDA/HIP worker (kernels/cuda/<name>/manifest.json): each space is
// valid for the engine's ConfigSpace, each parameter reaches the kernel source, and where a
// native worker is built its own enumeration (a separate, hand-written expression evaluator)
// agrees with ConfigSpace's (muparser) configuration by configuration count. The named worker
// devices (cuda:N, hip:N, triton:N) are resolved by DeviceRegistry.

#include "device/DeviceRegistry.h"
#include "space/ConfigSpace.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace dv;

namespace {

QString kernelsDir()
{
    return QDir(QStringLiteral(DEJAVU_DATASETS_DIR "/../../kernels/cuda")).absolutePath();
}

QStringList manifestNames()
{
    QStringList names;
    for (const QString& d : QDir(kernelsDir()).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (QFile::exists(kernelsDir() + QLatin1Char('/') + d + QStringLiteral("/manifest.json")))
            names.append(d);
    }
    return names;
}

QJsonObject readJson(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", qPrintable(path));
    return QJsonDocument::fromJson(f.readAll()).object();
}

// The worker binaries of this build tree (next to app/cli/dejavu-tune's build tree).
QStringList builtWorkers()
{
    QStringList out;
    const QDir build = QFileInfo(QStringLiteral(DEJAVU_TUNE_PATH)).dir();
    for (const char* name : {"dejavu-cuda-worker", "dejavu-hip-worker"}) {
        const QString path = build.filePath(QStringLiteral("../../kernels/cuda/") + QLatin1String(name));
        if (QFileInfo(path).isExecutable())
            out.append(QFileInfo(path).absoluteFilePath());
    }
    return out;
}

struct Run {
    int code = -1;
    QByteArray out, err;
};

Run run(const QString& program, const QStringList& args)
{
    QProcess p;
    p.start(program, args);
    Run r;
    if (!p.waitForFinished(60000))
        return r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace

class TestCudaManifests : public QObject {
    Q_OBJECT
private slots:
    void spaces_data();
    void spaces();
    void workerAgrees();
    void workerRejectsBadManifests();
    void namedWorkerIds();
    void recordedSweep();
};

void TestCudaManifests::spaces_data()
{
    QTest::addColumn<QString>("name");
    const QStringList names = manifestNames();
    QVERIFY2(names.contains(QStringLiteral("gemm")) && names.contains(QStringLiteral("reduce"))
                 && names.contains(QStringLiteral("conv2d")),
             qPrintable(names.join(QLatin1Char(','))));
    for (const QString& n : names)
        QTest::newRow(qPrintable(n)) << n;
}

void TestCudaManifests::spaces()
{
    QFETCH(QString, name);
    const QString dir = kernelsDir() + QLatin1Char('/') + name;
    const QJsonObject manifest = readJson(dir + QStringLiteral("/manifest.json"));
    QCOMPARE(manifest.value(QLatin1String("name")).toString(), name);

    // The space, as the worker sends it in `loaded`, is a valid space file for the engine.
    QJsonObject space;
    for (const char* key : {"name", "description", "parameters", "constraints"})
        space.insert(QLatin1String(key), manifest.value(QLatin1String(key)));
    auto parsed = ConfigSpace::fromJson(QJsonDocument(space).toJson(), dir + QStringLiteral("/manifest.json"));
    QVERIFY2(parsed.ok(), qPrintable(parsed.error()));
    QVERIFY2(parsed->size() >= 100 && parsed->size() <= 100000, qPrintable(QString::number(parsed->size())));

    // Every tunable parameter is used by the kernel source (as a macro); the sources exist.
    QFile source(dir + QLatin1Char('/') + manifest.value(QLatin1String("source")).toString());
    QVERIFY2(source.open(QIODevice::ReadOnly), qPrintable(source.fileName()));
    const QString text = QString::fromUtf8(source.readAll());
    for (const QJsonValue p : manifest.value(QLatin1String("parameters")).toArray()) {
        const QString param = p.toObject().value(QLatin1String("name")).toString();
        QVERIFY2(text.contains(QRegularExpression(QStringLiteral("\\b%1\\b").arg(param))), qPrintable(param));
    }
    const QJsonObject reference = manifest.value(QLatin1String("reference")).toObject();
    QCOMPARE(reference.value(QLatin1String("where")).toString(), QStringLiteral("gpu"));
    QVERIFY(QFile::exists(dir + QLatin1Char('/') + reference.value(QLatin1String("source")).toString()));
    // The checked buffers exist; the output is poisoned before every run.
    const QJsonObject check = manifest.value(QLatin1String("check")).toObject();
    QString outputInit;
    for (const QJsonValue b : manifest.value(QLatin1String("buffers")).toArray()) {
        if (b.toObject().value(QLatin1String("name")) == check.value(QLatin1String("output")))
            outputInit = b.toObject().value(QLatin1String("init")).toString();
    }
    QCOMPARE(outputInit, QStringLiteral("poison"));
}

void TestCudaManifests::workerAgrees()
{
    const QStringList workers = builtWorkers();
    if (workers.isEmpty())
        QSKIP("no native worker in this build (neither the CUDA toolkit nor HIP was found)");
    for (const QString& worker : workers) {
        const Run r = run(worker, {QStringLiteral("--list-kernels")});
        QVERIFY2(r.code == 0, qPrintable(worker + QStringLiteral(": ") + QString::fromUtf8(r.err)));
        QStringList seen;
        for (const QByteArray& line : r.out.split('\n')) {
            if (line.trimmed().isEmpty())
                continue;
            const QJsonObject k = QJsonDocument::fromJson(line).object();
            const QString name = k.value(QLatin1String("kernel")).toString();
            seen.append(name);
            auto space = ConfigSpace::fromJson(QJsonDocument(k.value(QLatin1String("space")).toObject()).toJson(), name);
            QVERIFY2(space.ok(), qPrintable(space.error()));
            QCOMPARE(qint64(k.value(QLatin1String("configurations")).toInteger()), space->size());
            QVERIFY(k.value(QLatin1String("identity")).toString().startsWith(name + QStringLiteral(".cu@")));
        }
        QCOMPARE(seen, manifestNames());
        const Run v = run(worker, {QStringLiteral("--version")});
        QCOMPARE(v.code, 0);
        QVERIFY2(v.out.contains("protocol 1"), v.out.constData());
    }
}

void TestCudaManifests::workerRejectsBadManifests()
{
    const QStringList workers = builtWorkers();
    if (workers.isEmpty())
        QSKIP("no native worker in this build (neither the CUDA toolkit nor HIP was found)");
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    QDir(tmp.path()).mkpath(QStringLiteral("common"));
    QFile::copy(kernelsDir() + QStringLiteral("/common/prelude.cuh"), tmp.path() + QStringLiteral("/common/prelude.cuh"));
    QDir(tmp.path()).mkpath(QStringLiteral("reduce"));
    for (const char* file : {"reduce.cu", "reference.cu"})
        QFile::copy(kernelsDir() + QStringLiteral("/reduce/") + QLatin1String(file), tmp.path() + QStringLiteral("/reduce/") + QLatin1String(file));
    const QJsonObject good = readJson(kernelsDir() + QStringLiteral("/reduce/manifest.json"));
    const struct {
        QJsonObject manifest;
        const char* expected;
    } cases[] = {
        {[&] { QJsonObject m = good; m.insert(QStringLiteral("constraint"), QJsonArray()); return m; }(), "reduce/manifest.json: constraint: unknown field"},
        {[&] { QJsonObject m = good; m.insert(QStringLiteral("constraints"), QJsonArray{QStringLiteral("UNROLL <= ITEMZ")}); return m; }(), "unknown name 'ITEMZ'"},
        {[&] { QJsonObject m = good; QJsonObject l = m.value(QLatin1String("launch")).toObject(); l.insert(QStringLiteral("grid"), QJsonArray{QStringLiteral("n / 3"), 1, 1}); m.insert(QStringLiteral("launch"), l); return m; }(), "expected a non-negative integer"},
        {[&] { QJsonObject m = good; m.insert(QStringLiteral("source"), QStringLiteral("missing.cu")); return m; }(), "reduce/manifest.json: source: no file"},
    };
    for (const auto& c : cases) {
        QFile f(tmp.path() + QStringLiteral("/reduce/manifest.json"));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QJsonDocument(c.manifest).toJson());
        f.close();
        const Run r = run(workers.front(), {QStringLiteral("--kernels-dir"), tmp.path(), QStringLiteral("--list-kernels")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(c.expected), r.err.constData());
        QVERIFY2(r.out.isEmpty(), r.out.constData());
    }
}

void TestCudaManifests::namedWorkerIds()
{
    const auto bad = DeviceRegistry::open(QStringLiteral("cuda:0/gemm bogus=1"));
    QVERIFY(!bad.ok());
    if (DeviceRegistry::workerCommand(QStringLiteral("cuda")).isEmpty()) {
        QVERIFY2(bad.error().contains(QLatin1String("no cuda worker here")), qPrintable(bad.error()));
        QSKIP("no CUDA worker in this build");
    }
    // Options are checked as for worker: ids, and the error names the id as given.
    QVERIFY2(bad.error().contains(QLatin1String("cuda:0/gemm bogus=1")) && bad.error().contains(QLatin1String("bogus")),
             qPrintable(bad.error()));
    bool listed = false;
    for (const DeviceRegistry::Entry& e : DeviceRegistry::namedWorkers())
        listed = listed || e.id == QLatin1String("cuda:0");
    QVERIFY(listed);
    // Without a GPU the worker says why in its last words and opening fails with them; with one,
    // the device is the named kernel of the worker's first GPU.
    auto device = DeviceRegistry::open(QStringLiteral("cuda:0/reduce 'problem={\"n\":4096}' timeout=60"));
    if (!device) {
        QVERIFY2(device.error().contains(QLatin1String("CUDA driver")) || device.error().contains(QLatin1String("GPU")),
                 qPrintable(device.error()));
        QSKIP("no GPU here: the CUDA worker could not start (checked its reason)");
    }
    QCOMPARE(device.value()->workload().kernel, QStringLiteral("reduce"));
    QCOMPARE(device.value()->info().id, QStringLiteral("cuda:0/reduce 'problem={\"n\":4096}' timeout=60"));
}

// The GEMM sweep recorded on the H100 through this worker ships as a replay dataset; its space
// is the manifest's, so a change of the manifest that makes the recording stale is noticed.
void TestCudaManifests::recordedSweep()
{
    auto device = DeviceRegistry::open(QStringLiteral("replay:h100/cuda_gemm_fp32_M2048_N2048_K2048"));
    QVERIFY2(device.ok(), qPrintable(device.error()));
    const Workload& w = device.value()->workload();
    QCOMPARE(device.value()->info().name, QStringLiteral("NVIDIA H100 80GB HBM3"));
    const QJsonObject manifest = readJson(kernelsDir() + QStringLiteral("/gemm/manifest.json"));
    QJsonObject space;
    for (const char* key : {"name", "parameters", "constraints"})
        space.insert(QLatin1String(key), manifest.value(QLatin1String(key)));
    auto parsed = ConfigSpace::fromJson(QJsonDocument(space).toJson(), QStringLiteral("gemm/manifest.json"));
    QVERIFY2(parsed.ok(), qPrintable(parsed.error()));
    QCOMPARE(w.space.size(), parsed->size());
    for (qint64 i = 0; i < parsed->size(); ++i)
        QVERIFY2(w.space.indexOf(parsed->config(i)) >= 0, qPrintable(ConfigSpace::keyOf(parsed->config(i))));
}

QTEST_GUILESS_MAIN(TestCudaManifests)
#include "tst_cudamanifests.moc"
