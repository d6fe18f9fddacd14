#include "base/Gzip.h"
#include "device/ReplayDevice.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QtTest>

#include <cmath>

using namespace dv;

namespace {

QStringList shippedDatasets()
{
    QStringList files;
    QDirIterator it(QStringLiteral(DEJAVU_DATASETS_DIR), {QStringLiteral("*.json.gz")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        files.append(it.next());
    files.sort();
    return files;
}

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// "kerneltuner/convolution_A100" for ".../datasets/kerneltuner/convolution_A100.json.gz".
QString datasetName(const QString& path)
{
    const QFileInfo info(path);
    QString name = info.dir().dirName() + QLatin1Char('/') + info.fileName();
    name.chop(int(qstrlen(".json.gz")));
    return name;
}

// The file as plain JSON, read without the code under test (apart from gunzip).
QJsonObject readIndependently(const QByteArray& bytes)
{
    const auto inflated = gunzip(bytes, QStringLiteral("dataset"));
    if (!inflated)
        return {};
    return QJsonDocument::fromJson(inflated.value()).object();
}

// Python's str() of a JSON value, as Kernel Tuner joins them into keys.
QString pythonText(const QJsonValue& v)
{
    if (v.isString())
        return v.toString();
    if (v.isBool())
        return v.toBool() ? QStringLiteral("True") : QStringLiteral("False");
    return QString::number(v.toDouble(), 'g', 17);
}

std::unique_ptr<ReplayDevice> openFile(const QString& path)
{
    auto device = ReplayDevice::open(QStringLiteral("replay:") + datasetName(path), readFile(path), path);
    if (!device) {
        qWarning().noquote() << device.error();
        return nullptr;
    }
    return std::move(device.value());
}

} // namespace

class TestReplayDevice : public QObject {
    Q_OBJECT

private slots:
    void shippedDatasetsPresent();
    void replaysEveryEntry_data();
    void replaysEveryEntry();
    void deviceInfo_data();
    void deviceInfo();
    void nameFallsBackToFileName();
    void toolchainIdentifiesTheRecording();
    void openErrorNamesTheSource();
    void simulatedLatency();
};

void TestReplayDevice::shippedDatasetsPresent()
{
    QCOMPARE(shippedDatasets().size(), 13);
}

void TestReplayDevice::replaysEveryEntry_data()
{
    QTest::addColumn<QString>("path");
    for (const QString& path : shippedDatasets())
        QTest::newRow(qPrintable(datasetName(path))) << path;
}

void TestReplayDevice::replaysEveryEntry()
{
    QFETCH(QString, path);

    const QByteArray bytes = readFile(path);
    QVERIFY(!bytes.isEmpty());
    const QJsonObject file = readIndependently(bytes);
    const QJsonObject cache = file.value(QLatin1String("cache")).toObject();
    QVERIFY(cache.size() > 100);
    QStringList keys;
    for (const QJsonValue& k : file.value(QLatin1String("tune_params_keys")).toArray())
        keys.append(k.toString());
    const QJsonObject tuneParams = file.value(QLatin1String("tune_params")).toObject();
    QVERIFY(!keys.isEmpty());

    const auto device = openFile(path);
    QVERIFY(device);
    QCOMPARE(device->workload().space.size(), qint64(cache.size()));

    QSet<QString> recordedKeys;
    int ok = 0, failed = 0;
    for (auto it = cache.begin(); it != cache.end(); ++it) {
        const QJsonObject entry = it.value().toObject();
        QJsonObject config;
        QStringList keyParts;
        for (const QString& k : keys) {
            config.insert(k, entry.value(k));
            keyParts.append(pythonText(entry.value(k)));
        }
        recordedKeys.insert(keyParts.join(QLatin1Char(',')));

        const Measurement m = device->evaluate(config);
        const QJsonValue time = entry.value(QLatin1String("time"));
        if (time.isDouble()) {
            ++ok;
            QVERIFY2(m.status == Status::Ok, qPrintable(it.key()));
            // Exactly the recorded number, not merely close to it.
            QVERIFY2(m.objectiveMs == time.toDouble(),
                     qPrintable(QStringLiteral("%1: %2 != %3")
                                    .arg(it.key(), QString::number(m.objectiveMs, 'g', 17),
                                         QString::number(time.toDouble(), 'g', 17))));
            QVERIFY(m.isOk());
            const QJsonArray times = entry.value(QLatin1String("times")).toArray();
            QCOMPARE(m.samplesMs.size(), times.size());
            for (int t = 0; t < times.size(); ++t)
                QVERIFY(m.samplesMs[t] == times[t].toDouble());
        } else {
            ++failed;
            const QString failure = time.toString();
            const Status expected = failure == QLatin1String("InvalidConfig")             ? Status::Invalid
                                  : failure == QLatin1String("CompilationFailedConfig") ? Status::CompileError
                                  : failure == QLatin1String("RuntimeFailedConfig")     ? Status::RuntimeError
                                                                                         : Status::Ok;
            QVERIFY2(expected != Status::Ok, qPrintable(QStringLiteral("unexpected failure string ") + failure));
            QVERIFY2(m.status == expected, qPrintable(it.key() + QStringLiteral(": ") + statusName(m.status)));
            QVERIFY(!m.isOk());
            QVERIFY(std::isnan(m.objectiveMs));
        }
        // An entry without a compile time (a configuration that failed to compile, as the studio
        // exports it) replays without one.
        const QJsonValue compile = entry.value(QLatin1String("compile_time"));
        if (compile.isDouble())
            QVERIFY(m.compileTimeMs == compile.toDouble());
        else
            QVERIFY(std::isnan(m.compileTimeMs) || m.compileTimeMs == 0);
    }
    QCOMPARE(ok + failed, cache.size());
    QVERIFY(ok > 0);

    // A combination of tune_params values that the file does not hold, if the product has one.
    QJsonObject absent;
    std::vector<int> odometer(size_t(keys.size()), 0);
    bool more = true;
    while (more && absent.isEmpty()) {
        QJsonObject candidate;
        QStringList parts;
        for (int i = 0; i < keys.size(); ++i) {
            const QJsonValue v = tuneParams.value(keys[i]).toArray().at(odometer[size_t(i)]);
            candidate.insert(keys[i], v);
            parts.append(pythonText(v));
        }
        if (!recordedKeys.contains(parts.join(QLatin1Char(','))))
            absent = candidate;
        more = false;
        for (int i = int(keys.size()) - 1; i >= 0; --i) {
            if (++odometer[size_t(i)] < tuneParams.value(keys[i]).toArray().size()) {
                more = true;
                break;
            }
            odometer[size_t(i)] = 0;
        }
    }
    quint64 product = 1;
    for (const QString& k : keys)
        product *= quint64(tuneParams.value(k).toArray().size());
    QCOMPARE(absent.isEmpty(), product == quint64(cache.size()));
    if (!absent.isEmpty()) {
        const Measurement m = device->evaluate(absent);
        QCOMPARE(m.status, Status::Invalid);
        QVERIFY(!m.isOk());
        QVERIFY(!m.error.isEmpty());
    }

    // A value outside tune_params, a missing parameter and an extra one are not recorded either.
    const QJsonObject first = cache.begin().value().toObject();
    QJsonObject recorded;
    for (const QString& k : keys)
        recorded.insert(k, first.value(k));
    QVERIFY(device->workload().space.indexOf(recorded) >= 0);
    QJsonObject outside = recorded;
    outside.insert(keys.first(), 123457);
    QCOMPARE(device->evaluate(outside).status, Status::Invalid);
    QJsonObject missing = recorded;
    missing.remove(keys.last());
    QCOMPARE(device->evaluate(missing).status, Status::Invalid);
    QJsonObject extra = recorded;
    extra.insert(QStringLiteral("not_a_parameter"), 1);
    QCOMPARE(device->evaluate(extra).status, Status::Invalid);
}

void TestReplayDevice::deviceInfo_data()
{
    QTest::addColumn<QString>("path");
    for (const QString& path : shippedDatasets())
        QTest::newRow(qPrintable(datasetName(path))) << path;
}

void TestReplayDevice::deviceInfo()
{
    QFETCH(QString, path);

    const QJsonObject file = readIndependently(readFile(path));
    const QString recordedName = file.value(QLatin1String("device_name")).toString();
    const auto device = openFile(path);
    QVERIFY(device);
    const DeviceInfo info = device->info();
    QCOMPARE(info.id, QStringLiteral("replay:") + datasetName(path));
    QCOMPARE(info.backend, QStringLiteral("replay"));
    const QString stem = QFileInfo(path).fileName().section(QLatin1Char('.'), 0, 0);
    QCOMPARE(info.name, recordedName.isEmpty() ? stem : recordedName);
    QVERIFY(!info.name.isEmpty());
    QVERIFY(info.toolchain.startsWith(QLatin1String("replay sha256:")));
    QCOMPARE(info.details.value(QLatin1String("source")).toString(), path);
    QCOMPARE(info.details.value(QLatin1String("recorded_device_name")).toString(), recordedName);

    const Workload& w = device->workload();
    QCOMPARE(w.kernel, file.value(QLatin1String("kernel_name")).toString());
    QVERIFY(!w.kernel.isEmpty());
    QCOMPARE(w.problem,
             QString::fromUtf8(QJsonDocument(QJsonArray{file.value(QLatin1String("problem_size"))})
                                   .toJson(QJsonDocument::Compact))
                 .mid(1)
                 .chopped(1));
    QCOMPARE(w.space.dimensions(), int(file.value(QLatin1String("tune_params_keys")).toArray().size()));
}

void TestReplayDevice::nameFallsBackToFileName()
{
    const QString path = QStringLiteral(DEJAVU_DATASETS_DIR "/kerneltuner/convolution_MI250X.json.gz");
    QCOMPARE(readIndependently(readFile(path)).value(QLatin1String("device_name")).toString(), QString());
    const auto device = openFile(path);
    QVERIFY(device);
    QCOMPARE(device->info().name, QStringLiteral("convolution_MI250X"));

    const auto a100 = openFile(QStringLiteral(DEJAVU_DATASETS_DIR "/kerneltuner/convolution_A100.json.gz"));
    QVERIFY(a100);
    QCOMPARE(a100->info().name, QStringLiteral("NVIDIA A100-PCIE-40GB"));
}

void TestReplayDevice::toolchainIdentifiesTheRecording()
{
    QSet<QString> toolchains;
    const QStringList files = shippedDatasets();
    for (const QString& path : files) {
        const auto device = openFile(path);
        QVERIFY(device);
        toolchains.insert(device->info().toolchain);
        // The same bytes opened again, under another id, are the same recording.
        const auto again = ReplayDevice::open(QStringLiteral("replay:elsewhere"), readFile(path), QStringLiteral("copy.json.gz"));
        QVERIFY(again.ok());
        QCOMPARE(again.value()->info().toolchain, device->info().toolchain);
    }
    QCOMPARE(toolchains.size(), files.size());

    // Two files that differ only in one recorded time are two devices.
    QByteArray text = gunzip(readFile(files.first()), QStringLiteral("x")).value();
    const auto original = ReplayDevice::open(QStringLiteral("replay:a"), text, QStringLiteral("a.json"));
    // The first recorded time, whether the file is written with spaces (Kernel Tuner) or compactly.
    qsizetype at = text.indexOf("\"time\":") + 7;
    QVERIFY(at > 7);
    while (text.at(at) == ' ')
        ++at;
    text.insert(at, '1');
    const auto edited = ReplayDevice::open(QStringLiteral("replay:b"), text, QStringLiteral("b.json"));
    QVERIFY2(original.ok(), qPrintable(original.error()));
    QVERIFY2(edited.ok(), qPrintable(edited.error()));
    QVERIFY(original.value()->info().toolchain != edited.value()->info().toolchain);
}

void TestReplayDevice::openErrorNamesTheSource()
{
    const auto device = ReplayDevice::open(QStringLiteral("replay:broken"), QByteArray("{\"cache\": "),
                                           QStringLiteral("broken.json"));
    QVERIFY(!device.ok());
    QVERIFY2(device.error().startsWith(QLatin1String("broken.json:1:")), qPrintable(device.error()));
    QVERIFY(device.error().contains(QLatin1String("invalid JSON")));
}

void TestReplayDevice::simulatedLatency()
{
    const QString path = QStringLiteral(DEJAVU_DATASETS_DIR "/h100/triton_rmsnorm_fp16_rows1_N4096.json.gz");
    const auto device = openFile(path);
    QVERIFY(device);
    const QJsonObject config = device->workload().space.config(0);
    QElapsedTimer timer;
    timer.start();
    device->evaluate(config);
    const qint64 fast = timer.elapsed();
    device->setSimulatedLatencyMs(60);
    timer.restart();
    const Measurement m = device->evaluate(config);
    QVERIFY(timer.elapsed() >= 60);
    QVERIFY(fast < 60);
    QCOMPARE(m.status, device->cache().measurements[0].status);
}

QTEST_GUILESS_MAIN(TestReplayDevice)
#include "tst_replaydevice.moc"
