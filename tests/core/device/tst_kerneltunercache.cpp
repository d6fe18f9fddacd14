#include "base/Gzip.h"
#include "device/KernelTunerCache.h"

#include <QBuffer>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QtTest>

#include <cmath>

using namespace dv;

namespace {

const QString kSource = QStringLiteral("cache.json");

QByteArray header(const QByteArray& tuneParams = R"({"block_size_x": [16, 32, 64], "use_shmem": [0, 1], "layout": ["row", "col"]})",
                  const QByteArray& keys = R"(["block_size_x", "use_shmem", "layout"])")
{
    return "{\n\"device_name\": \"Test GPU\",\n\"kernel_name\": \"vector_add\",\n\"problem_size\": [1024, 1],\n"
           "\"tune_params_keys\": " + keys + ",\n\"tune_params\": " + tuneParams + ",\n"
           "\"objective\": \"time\",\n\"cache\": {\n";
}

QByteArray cacheFile(const QByteArray& entries)
{
    return header() + entries + "\n}\n}\n";
}

// Five entries: two timed, one of each Kernel Tuner failure.
const QByteArray kEntries =
    R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.5, "times": [0.5, 0.625, 0.375], "compile_time": 120.5, "benchmark_time": 3.0, "timestamp": "2024-01-01 10:00:00"},
"16,1,row": {"block_size_x": 16, "use_shmem": 1, "layout": "row", "time": "InvalidConfig", "compile_time": 0},
"32,0,col": {"block_size_x": 32, "use_shmem": 0, "layout": "col", "time": "CompilationFailedConfig", "compile_time": 17.25},
"64,1,col": {"block_size_x": 64, "use_shmem": 1, "layout": "col", "time": "RuntimeFailedConfig", "compile_time": 99.0},
"32,1,row": {"block_size_x": 32, "use_shmem": 1, "layout": "row", "time": 0.125})";

QJsonObject config(int bx, int shmem, const char* layout)
{
    return QJsonObject{{QStringLiteral("block_size_x"), bx},
                       {QStringLiteral("use_shmem"), shmem},
                       {QStringLiteral("layout"), QLatin1String(layout)}};
}

const Measurement* measurementFor(const KernelTunerCache& cache, const QJsonObject& config)
{
    const qint64 i = cache.space.indexOf(config);
    return i < 0 ? nullptr : &cache.measurements[size_t(i)];
}

bool sameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

QString describe(const Measurement& m)
{
    QStringList samples;
    for (double s : m.samplesMs)
        samples.append(QString::number(s, 'g', 17));
    return QStringLiteral("%1 objective=%2 samples=[%3] compile=%4 error='%5'")
        .arg(statusName(m.status), QString::number(m.objectiveMs, 'g', 17), samples.join(QLatin1Char(',')),
             QString::number(m.compileTimeMs, 'g', 17), m.error);
}

bool sameMeasurement(const Measurement& a, const Measurement& b)
{
    if (a.status != b.status || !sameDouble(a.objectiveMs, b.objectiveMs) || a.samplesMs.size() != b.samplesMs.size()
        || !sameDouble(a.compileTimeMs, b.compileTimeMs) || a.error != b.error || a.extra != b.extra)
        return false;
    for (int i = 0; i < a.samplesMs.size(); ++i) {
        if (a.samplesMs[i] != b.samplesMs[i])
            return false;
    }
    return true;
}

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
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

} // namespace

class TestKernelTunerCache : public QObject {
    Q_OBJECT

private slots:
    void parsePlain();
    void parseGzipGivesTheSame();
    void readFromDevice();
    void failureStrings_data();
    void failureStrings();
    void dejavuStatus_data();
    void dejavuStatus();
    void valuesFromKeyText();
    void truncatedFile_data();
    void truncatedFile();
    void errors_data();
    void errors();
    void shippedDatasetsPresent();
    void toJsonRoundTrip_data();
    void toJsonRoundTrip();
};

void TestKernelTunerCache::parsePlain()
{
    const auto parsed = KernelTunerCache::parse(cacheFile(kEntries), kSource);
    QVERIFY2(parsed.ok(), qPrintable(parsed.error()));
    const KernelTunerCache& c = parsed.value();
    QCOMPARE(c.deviceName, QStringLiteral("Test GPU"));
    QCOMPARE(c.kernelName, QStringLiteral("vector_add"));
    QCOMPARE(c.problemSize, QJsonValue(QJsonArray{1024, 1}));
    QCOMPARE(c.extraHeader, QJsonObject({{QStringLiteral("objective"), QStringLiteral("time")}}));

    QCOMPARE(c.space.dimensions(), 3);
    QCOMPARE(c.space.parameters()[0].name, QStringLiteral("block_size_x"));
    QCOMPARE(c.space.parameters()[1].name, QStringLiteral("use_shmem"));
    QCOMPARE(c.space.parameters()[2].name, QStringLiteral("layout"));
    QCOMPARE(int(c.space.parameters()[0].type), int(ParameterType::Int));
    QCOMPARE(int(c.space.parameters()[2].type), int(ParameterType::String));
    QCOMPARE(c.space.productSize(), quint64(12));
    // The space is exactly the recorded entries.
    QCOMPARE(c.space.size(), qint64(5));
    QCOMPARE(c.measurements.size(), size_t(5));
    QCOMPARE(c.space.name(), QStringLiteral("vector_add"));

    const Measurement* timed = measurementFor(c, config(16, 0, "row"));
    QVERIFY(timed);
    QCOMPARE(timed->status, Status::Ok);
    QVERIFY(timed->isOk());
    QCOMPARE(timed->objectiveMs, 0.5);
    QCOMPARE(timed->samplesMs, (QVector<double>{0.5, 0.625, 0.375}));
    QCOMPARE(timed->compileTimeMs, 120.5);
    QCOMPARE(timed->extra.value(QLatin1String("benchmark_time")).toDouble(), 3.0);
    QCOMPARE(timed->extra.value(QLatin1String("timestamp")).toString(), QStringLiteral("2024-01-01 10:00:00"));

    const Measurement* noTimes = measurementFor(c, config(32, 1, "row"));
    QVERIFY(noTimes);
    QCOMPARE(noTimes->status, Status::Ok);
    QCOMPARE(noTimes->objectiveMs, 0.125);
    QCOMPARE(noTimes->samplesMs, QVector<double>{0.125});
    QVERIFY(std::isnan(noTimes->compileTimeMs));

    const Measurement* invalid = measurementFor(c, config(16, 1, "row"));
    QVERIFY(invalid);
    QCOMPARE(invalid->status, Status::Invalid);
    QVERIFY(!invalid->isOk());
    QVERIFY(std::isnan(invalid->objectiveMs));
    QVERIFY(invalid->samplesMs.isEmpty());
    QCOMPARE(measurementFor(c, config(32, 0, "col"))->status, Status::CompileError);
    QCOMPARE(measurementFor(c, config(32, 0, "col"))->compileTimeMs, 17.25);
    QCOMPARE(measurementFor(c, config(64, 1, "col"))->status, Status::RuntimeError);

    QCOMPARE(measurementFor(c, config(64, 0, "row")), nullptr); // not recorded
}

void TestKernelTunerCache::parseGzipGivesTheSame()
{
    const QByteArray plain = cacheFile(kEntries);
    const QByteArray packed = gzip(plain);
    QVERIFY(packed != plain);
    const auto a = KernelTunerCache::parse(plain, kSource);
    const auto b = KernelTunerCache::parse(packed, kSource);
    QVERIFY2(a.ok(), qPrintable(a.error()));
    QVERIFY2(b.ok(), qPrintable(b.error()));
    QCOMPARE(b->deviceName, a->deviceName);
    QCOMPARE(b->space.size(), a->space.size());
    for (qint64 i = 0; i < a->space.size(); ++i) {
        QCOMPARE(b->space.key(i), a->space.key(i));
        QVERIFY2(sameMeasurement(b->measurements[size_t(i)], a->measurements[size_t(i)]),
                 qPrintable(describe(b->measurements[size_t(i)])));
    }
}

void TestKernelTunerCache::readFromDevice()
{
    QByteArray packed = gzip(cacheFile(kEntries));
    QBuffer buffer(&packed);
    const auto c = KernelTunerCache::read(buffer, kSource);
    QVERIFY2(c.ok(), qPrintable(c.error()));
    QCOMPARE(c->space.size(), qint64(5));

    QFile missing(QStringLiteral(DEJAVU_DATASETS_DIR "/no/such/file.json.gz"));
    const auto failed = KernelTunerCache::read(missing, QStringLiteral("file.json.gz"));
    QVERIFY(!failed.ok());
    QVERIFY2(failed.error().startsWith(QLatin1String("file.json.gz: cannot open")), qPrintable(failed.error()));
}

void TestKernelTunerCache::failureStrings_data()
{
    QTest::addColumn<QString>("failure");
    QTest::addColumn<Status>("status");

    QTest::newRow("InvalidConfig") << QStringLiteral("InvalidConfig") << Status::Invalid;
    QTest::newRow("CompilationFailedConfig") << QStringLiteral("CompilationFailedConfig") << Status::CompileError;
    QTest::newRow("RuntimeFailedConfig") << QStringLiteral("RuntimeFailedConfig") << Status::RuntimeError;
}

void TestKernelTunerCache::failureStrings()
{
    QFETCH(QString, failure);
    QFETCH(Status, status);

    QCOMPARE(KernelTunerCache::statusFromFailure(failure), std::optional<Status>(status));
    QCOMPARE(KernelTunerCache::failureFor(status), failure);

    const QByteArray entry = R"("32,1,col": {"block_size_x": 32, "use_shmem": 1, "layout": "col", "time": ")"
                           + failure.toUtf8() + R"(", "compile_time": 5.5})";
    const auto c = KernelTunerCache::parse(cacheFile(entry), kSource);
    QVERIFY2(c.ok(), qPrintable(c.error()));
    QCOMPARE(c->space.size(), qint64(1));
    QCOMPARE(c->measurements[0].status, status);
    QVERIFY(std::isnan(c->measurements[0].objectiveMs));
    QCOMPARE(c->measurements[0].compileTimeMs, 5.5);
    QCOMPARE(statusName(c->measurements[0].status), statusName(status));
}

void TestKernelTunerCache::dejavuStatus_data()
{
    QTest::addColumn<QByteArray>("fields");
    QTest::addColumn<Status>("status");
    QTest::addColumn<QString>("error");

    QTest::newRow("timeout") << QByteArray(R"("time": "RuntimeFailedConfig", "dejavu_status": "timeout")") << Status::Timeout << QString();
    QTest::newRow("crashed") << QByteArray(R"("time": "RuntimeFailedConfig", "dejavu_status": "crashed", "dejavu_error": "worker died: SIGSEGV")")
                             << Status::Crashed << QStringLiteral("worker died: SIGSEGV");
    QTest::newRow("wrong result") << QByteArray(R"("time": "RuntimeFailedConfig", "dejavu_status": "wrong_result")")
                                  << Status::WrongResult << QString();
    QTest::newRow("same as failure string") << QByteArray(R"("time": "CompilationFailedConfig", "dejavu_status": "compile_error", "dejavu_error": "ptxas: too many resources")")
                                            << Status::CompileError << QStringLiteral("ptxas: too many resources");
    QTest::newRow("ok with a time") << QByteArray(R"("time": 2.5, "dejavu_status": "ok")") << Status::Ok << QString();
}

void TestKernelTunerCache::dejavuStatus()
{
    QFETCH(QByteArray, fields);
    QFETCH(Status, status);
    QFETCH(QString, error);

    const QByteArray entry = R"("64,0,row": {"block_size_x": 64, "use_shmem": 0, "layout": "row", )" + fields + "}";
    const auto c = KernelTunerCache::parse(cacheFile(entry), kSource);
    QVERIFY2(c.ok(), qPrintable(c.error()));
    QCOMPARE(c->measurements.size(), size_t(1));
    QCOMPARE(statusName(c->measurements[0].status), statusName(status));
    QCOMPARE(c->measurements[0].error, error);
}

void TestKernelTunerCache::valuesFromKeyText()
{
    // Entries that do not repeat the parameters are located by their key, Python's str() of each value.
    const QByteArray text = header(R"({"flag": [true, false], "alpha": [0.5, 1.0], "mode": ["a", "b"]})",
                                   R"(["flag", "alpha", "mode"])")
                          + R"("True,1.0,b": {"time": 1.5},
"False,0.5,a": {"time": "InvalidConfig"}
}
})";
    const auto c = KernelTunerCache::parse(text, kSource);
    QVERIFY2(c.ok(), qPrintable(c.error()));
    QCOMPARE(c->space.size(), qint64(2));
    QCOMPARE(int(c->space.parameters()[0].type), int(ParameterType::Bool));
    QCOMPARE(int(c->space.parameters()[1].type), int(ParameterType::Float));
    const QJsonObject timed{{QStringLiteral("flag"), true}, {QStringLiteral("alpha"), 1.0}, {QStringLiteral("mode"), QStringLiteral("b")}};
    const Measurement* m = measurementFor(c.value(), timed);
    QVERIFY(m);
    QCOMPARE(m->objectiveMs, 1.5);
    const QJsonObject invalid{{QStringLiteral("flag"), false}, {QStringLiteral("alpha"), 0.5}, {QStringLiteral("mode"), QStringLiteral("a")}};
    QVERIFY(measurementFor(c.value(), invalid));
    QCOMPARE(measurementFor(c.value(), invalid)->status, Status::Invalid);
}

void TestKernelTunerCache::truncatedFile_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<qint64>("entries");

    const QByteArray two = R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.5},
"32,1,col": {"block_size_x": 32, "use_shmem": 1, "layout": "col", "time": "RuntimeFailedConfig"},
)";
    QTest::newRow("ends in },\\n") << QByteArray(header() + two) << qint64(2);
    QTest::newRow("ends in },") << QByteArray(header() + two.chopped(1)) << qint64(2);
    QTest::newRow("trailing blank lines") << QByteArray(header() + two + "\n\n   \n") << qint64(2);
    QTest::newRow("gzip") << gzip(QByteArray(header() + two)) << qint64(2);
    QTest::newRow("complete file") << cacheFile(two.chopped(2)) << qint64(2);
}

void TestKernelTunerCache::truncatedFile()
{
    QFETCH(QByteArray, bytes);
    QFETCH(qint64, entries);

    const auto c = KernelTunerCache::parse(bytes, kSource);
    QVERIFY2(c.ok(), qPrintable(c.error()));
    QCOMPARE(c->space.size(), entries);
    QCOMPARE(measurementFor(c.value(), config(16, 0, "row"))->objectiveMs, 0.5);
    QCOMPARE(measurementFor(c.value(), config(32, 1, "col"))->status, Status::RuntimeError);
}

void TestKernelTunerCache::errors_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QStringList>("fragments");

    const QByteArray ok = R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.5})";
    auto withoutHeaderField = [](const char* field) {
        QByteArray text = cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.5})");
        const qsizetype at = text.indexOf(QByteArray(QByteArray("\"") + field + "\":"));
        const qsizetype end = text.indexOf('\n', at);
        return text.remove(at, end - at + 1);
    };
    QTest::newRow("missing tune_params_keys") << withoutHeaderField("tune_params_keys")
                                              << QStringList{QStringLiteral("cache.json: tune_params_keys: expected a non-empty array")};
    QTest::newRow("empty tune_params_keys") << QByteArray(header(R"({"a": [1]})", "[]") + ok + "}}")
                                            << QStringList{QStringLiteral("cache.json: tune_params_keys: expected a non-empty array")};
    QTest::newRow("tune_params_keys not strings") << QByteArray(header(R"({"a": [1]})", "[5]") + "}}")
                                                  << QStringList{QStringLiteral("cache.json: tune_params_keys: expected strings, got 5")};
    QTest::newRow("missing tune_params") << withoutHeaderField("tune_params")
                                         << QStringList{QStringLiteral("cache.json: tune_params: expected an object")};
    QTest::newRow("key without values")
        << QByteArray(header(R"({"block_size_x": [16], "use_shmem": [0]})") + "}}")
        << QStringList{QStringLiteral("cache.json: tune_params.layout: expected a non-empty array of values")};
    QTest::newRow("unsupported tune_params value")
        << QByteArray(header(R"({"block_size_x": [16], "use_shmem": [0], "layout": ["row", null]})") + "}}")
        << QStringList{QStringLiteral("cache.json: tune_params.layout: unsupported value null")};
    // Found by fuzz_kerneltuner_cache: both made configurations that could not be told apart.
    QTest::newRow("parameter named twice")
        << QByteArray(header(R"({"block_size_x": [16], "layout": ["row"]})", R"(["block_size_x", "layout", "block_size_x"])") + "}}")
        << QStringList{QStringLiteral("cache.json: tune_params_keys: 'block_size_x' appears twice")};
    QTest::newRow("value listed twice")
        << QByteArray(header(R"({"block_size_x": [16, 32, 16.0], "use_shmem": [0], "layout": ["row"]})") + "}}")
        << QStringList{QStringLiteral("cache.json: tune_params.block_size_x: value 16 appears twice")};
    QTest::newRow("missing cache") << QByteArray(withoutHeaderField("cache").replace("}\n}\n", "") + "}")
                                   << QStringList{QStringLiteral("cache.json: cache: expected an object")};
    QTest::newRow("value not in tune_params")
        << cacheFile(QByteArray(ok) + R"(,
"48,0,row": {"block_size_x": 48, "use_shmem": 0, "layout": "row", "time": 0.5})")
        << QStringList{QStringLiteral("cache.json: cache[\"48,0,row\"].block_size_x: value 48 is not in tune_params")};
    QTest::newRow("string value not in tune_params")
        << cacheFile(R"("16,0,diag": {"block_size_x": 16, "use_shmem": 0, "layout": "diag", "time": 0.5})")
        << QStringList{QStringLiteral("cache.json: cache[\"16,0,diag\"].layout: value \"diag\" is not in tune_params")};
    QTest::newRow("unknown failure string")
        << cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": "SegFault"})")
        << QStringList{QStringLiteral("cache.json: cache[\"16,0,row\"].time: unknown failure 'SegFault'")};
    QTest::newRow("missing time")
        << cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row"})")
        << QStringList{QStringLiteral("cache.json: cache[\"16,0,row\"].time: expected a number or a failure string, got nothing")};
    QTest::newRow("entry not an object") << cacheFile(R"("16,0,row": 0.5)")
                                         << QStringList{QStringLiteral("cache.json: cache[\"16,0,row\"]: expected an object")};
    QTest::newRow("duplicate entries")
        << cacheFile(QByteArray(ok) + R"(,
"16.0,0,row": {"block_size_x": 16.0, "use_shmem": 0, "layout": "row", "time": 0.75})")
        << QStringList{QStringLiteral("cache.json: cache: two entries describe the same configuration")};
    QTest::newRow("dejavu_status contradicts a time")
        << cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.5, "dejavu_status": "timeout"})")
        << QStringList{QStringLiteral("cache.json: cache[\"16,0,row\"].dejavu_status: 'timeout' does not match the entry's time")};
    QTest::newRow("dejavu_status unknown")
        << cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": "RuntimeFailedConfig", "dejavu_status": "melted"})")
        << QStringList{QStringLiteral("cache.json: cache[\"16,0,row\"].dejavu_status: 'melted'")};
    // Times that would become the best (or poison a plot's log scale) are refused by field.
    QTest::newRow("negative time") << cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": -1})")
                                   << QStringList{QStringLiteral("cache.json: cache[\"16,0,row\"].time: -1 is not a time (expected a finite number of ms > 0)")};
    QTest::newRow("zero time") << cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0})")
                               << QStringList{QStringLiteral("cache.json: cache[\"16,0,row\"].time: 0 is not a time")};
    QTest::newRow("negative sample")
        << cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.5, "times": [0.5, -0.25]})")
        << QStringList{QStringLiteral("cache.json: cache[\"16,0,row\"].times[1]: -0.25 is not a time")};
    QTest::newRow("sample not a number")
        << cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.5, "times": ["0.5"]})")
        << QStringList{QStringLiteral("cache.json: cache[\"16,0,row\"].times[0]: \"0.5\" is not a time")};
    QTest::newRow("negative compile time")
        << cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.5, "compile_time": -3})")
        << QStringList{QStringLiteral("cache.json: cache[\"16,0,row\"].compile_time: -3 is not a duration")};
    // JSON keeps one of two equal keys; the other configuration would vanish without a word.
    QTest::newRow("key twice") << cacheFile(QByteArray(ok) + R"(,
"16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.75})")
                               << QStringList{QStringLiteral("cache.json:10:1: duplicate key \"16,0,row\" in cache")};
    QTest::newRow("key twice, escaped") << cacheFile(QByteArray(ok) + R"(,
"16,0,\u0072ow": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.75})")
                                        << QStringList{QStringLiteral("duplicate key \"16,0,row\" in cache")};
    QTest::newRow("field twice in an entry")
        << cacheFile(R"("16,0,row": {"block_size_x": 16, "use_shmem": 0, "layout": "row", "time": 0.5, "time": 0.25})")
        << QStringList{QStringLiteral("duplicate key \"time\" in cache.16,0,row")};
    QTest::newRow("empty cache") << cacheFile("")
                                 << QStringList{QStringLiteral("cache.json: cache: no entries")};
    QTest::newRow("long key clipped")
        << cacheFile(QByteArray("\"") + QByteArray(100000, 'x') + R"(": {"block_size_x": 48, "use_shmem": 0, "layout": "row", "time": 0.5})")
        << QStringList{QStringLiteral("cache.json: cache[\"xxxxxxxxxx"), QStringLiteral("\u2026 (100000 characters)\"].block_size_x: value 48")};
    QByteArray corrupt = gzip(cacheFile(ok));
    for (qsizetype i = 20; i < 40; ++i)
        corrupt[i] = char(~corrupt[i]);
    QTest::newRow("corrupt gzip") << corrupt << QStringList{QStringLiteral("cache.json: corrupt gzip data")};
    QTest::newRow("truncated gzip") << gzip(cacheFile(ok)).chopped(10)
                                    << QStringList{QStringLiteral("cache.json: corrupt gzip data")};
    QTest::newRow("not JSON") << QByteArray("device_name = Test GPU\n")
                              << QStringList{QStringLiteral("cache.json:1:"), QStringLiteral("invalid JSON")};
    QTest::newRow("broken JSON line") << QByteArray(cacheFile(ok)).replace("\"time\": 0.5", "\"time\" 0.5")
                                      << QStringList{QStringLiteral("cache.json:9:"), QStringLiteral("invalid JSON")};
    QTest::newRow("not an object") << QByteArray("[1, 2, 3]")
                                   << QStringList{QStringLiteral("cache.json: expected a JSON object")};
}

void TestKernelTunerCache::errors()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QStringList, fragments);

    const auto c = KernelTunerCache::parse(bytes, kSource);
    QVERIFY(!c.ok());
    QVERIFY2(c.error().size() < 400, qPrintable(c.error().left(400))); // untrusted text is quoted clipped
    for (const QString& fragment : fragments)
        QVERIFY2(c.error().contains(fragment),
                 qPrintable(QStringLiteral("'%1' does not contain '%2'").arg(c.error(), fragment)));
}

void TestKernelTunerCache::shippedDatasetsPresent()
{
    const QStringList files = shippedDatasets();
    QCOMPARE(files.size(), 13);
    QCOMPARE(files.filter(QStringLiteral("/h100/")).size(), 9);
    QCOMPARE(files.filter(QStringLiteral("/kerneltuner/")).size(), 4);
}

void TestKernelTunerCache::toJsonRoundTrip_data()
{
    QTest::addColumn<QByteArray>("bytes");

    // Every status, an error text, a missing compile time, float and bool parameters.
    QTest::newRow("handmade")
        << QByteArray(header(R"({"block_size_x": [16, 32], "alpha": [0.5, 2.0], "flag": [false, true]})",
                  R"(["block_size_x", "alpha", "flag"])")
               + R"("16,0.5,False": {"block_size_x": 16, "alpha": 0.5, "flag": false, "time": 0.1, "times": [0.1, 0.30000000000000004], "compile_time": 12.5, "verification_time": 1, "timestamp": "t0"},
"16,0.5,True": {"block_size_x": 16, "alpha": 0.5, "flag": true, "time": 0.2},
"16,2.0,False": {"block_size_x": 16, "alpha": 2.0, "flag": false, "time": "InvalidConfig"},
"16,2.0,True": {"block_size_x": 16, "alpha": 2.0, "flag": true, "time": "CompilationFailedConfig", "compile_time": 3.5, "dejavu_error": "ptxas error"},
"32,0.5,False": {"block_size_x": 32, "alpha": 0.5, "flag": false, "time": "RuntimeFailedConfig"},
"32,0.5,True": {"block_size_x": 32, "alpha": 0.5, "flag": true, "time": "RuntimeFailedConfig", "dejavu_status": "timeout"},
"32,2.0,False": {"block_size_x": 32, "alpha": 2.0, "flag": false, "time": "RuntimeFailedConfig", "dejavu_status": "crashed", "dejavu_error": "SIGSEGV"},
"32,2.0,True": {"block_size_x": 32, "alpha": 2.0, "flag": true, "time": "RuntimeFailedConfig", "dejavu_status": "wrong_result", "compile_time": 1e-3}
}
})");
    QTest::newRow("small") << cacheFile(kEntries);
    for (const QString& file : shippedDatasets()) {
        const QString tag = QFileInfo(file).dir().dirName() + QLatin1Char('/') + QFileInfo(file).fileName();
        QTest::newRow(qPrintable(tag)) << readFile(file);
    }
}

void TestKernelTunerCache::toJsonRoundTrip()
{
    QFETCH(QByteArray, bytes);
    QVERIFY(!bytes.isEmpty());

    const auto original = KernelTunerCache::parse(bytes, kSource);
    QVERIFY2(original.ok(), qPrintable(original.error()));
    const QByteArray written = original->toJson();
    const auto copy = KernelTunerCache::parse(written, QStringLiteral("written.json"));
    QVERIFY2(copy.ok(), qPrintable(copy.error()));

    QCOMPARE(copy->deviceName, original->deviceName);
    QCOMPARE(copy->kernelName, original->kernelName);
    QCOMPARE(copy->problemSize, original->problemSize);
    QCOMPARE(copy->extraHeader, original->extraHeader);

    const ConfigSpace& a = original->space;
    const ConfigSpace& b = copy->space;
    QCOMPARE(b.dimensions(), a.dimensions());
    for (int p = 0; p < a.dimensions(); ++p) {
        QCOMPARE(b.parameters()[p].name, a.parameters()[p].name);
        QCOMPARE(int(b.parameters()[p].type), int(a.parameters()[p].type));
        QCOMPARE(b.parameters()[p].values, a.parameters()[p].values);
    }
    QCOMPARE(b.size(), a.size());
    QCOMPARE(copy->measurements.size(), original->measurements.size());
    for (qint64 i = 0; i < a.size(); ++i) {
        QCOMPARE(b.ordinal(i), a.ordinal(i));
        const Measurement& x = original->measurements[size_t(i)];
        const Measurement& y = copy->measurements[size_t(i)];
        QVERIFY2(sameMeasurement(x, y),
                 qPrintable(QStringLiteral("%1: %2 became %3").arg(a.key(i), describe(x), describe(y))));
    }

    // Each header field is written once (a repeated name is ambiguous JSON).
    QStringList headerNames;
    for (const QByteArray& line : written.split('\n')) {
        if (line.startsWith("\"cache\""))
            break;
        if (line.startsWith('"'))
            headerNames.append(QString::fromUtf8(line.left(line.indexOf(':'))));
    }
    QVERIFY(headerNames.contains(QStringLiteral("\"tune_params\"")));
    for (const QString& name : headerNames)
        QVERIFY2(headerNames.count(name) == 1, qPrintable(name + QStringLiteral(" is written more than once")));

    // Writing is deterministic: the copy writes the same text.
    QCOMPARE(copy->toJson(), written);
}

QTEST_GUILESS_MAIN(TestKernelTunerCache)
#include "tst_kerneltunercache.moc"
