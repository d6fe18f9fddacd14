#include "CliRun.h"
#include "space/ConfigSpace.h"
#include "base/Format.h"
#include "base/Gzip.h"
#include "device/KernelTunerCache.h"
#include "device/ReplayDevice.h"
#include "search/StrategyFactory.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace dv;

namespace {

using Run = dv::test::CliRun;

QString dataset(const QString& relative) { return QStringLiteral(DEJAVU_DATASETS_DIR "/") + relative; }

QByteArray readFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

KernelTunerCache loadCache(const QString& path)
{
    auto cache = KernelTunerCache::parse(readFile(path), path);
    if (!cache)
        qFatal("%s", qPrintable(cache.error()));
    return cache.value();
}

/// Keys of the objects at nesting `depth` (1: the top level), in the order the text lists them.
QStringList keysAtDepth(const QByteArray& json, int depth)
{
    QStringList keys;
    int level = 0;
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '{' || c == '[') {
            ++level;
        } else if (c == '}' || c == ']') {
            --level;
        } else if (c == '"') {
            qsizetype j = i + 1;
            while (j < json.size() && json[j] != '"')
                j += json[j] == '\\' ? 2 : 1;
            const QByteArray text = json.mid(i + 1, j - i - 1);
            qsizetype k = j + 1;
            while (k < json.size() && json[k] == ' ')
                ++k;
            if (level == depth && k < json.size() && json[k] == ':')
                keys.append(QString::fromUtf8(text));
            i = j;
        }
    }
    return keys;
}

QList<QByteArray> lines(const QByteArray& out)
{
    QList<QByteArray> l = out.split('\n');
    if (!l.isEmpty() && l.last().isEmpty())
        l.removeLast();
    return l;
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void replayPrintsJsonLines_data();
    void replayPrintsJsonLines();
    void replayIsReproducible();
    void replayMatchesTheCoreSession();
    void gridReplayVisitsInOrder();
    void failedConfigurationsHaveNullObjective();
    void errorsExitWithTwo_data();
    void errorsExitWithTwo();
    void tuneWithBadInputCreatesNoDatabase_data();
    void tuneWithBadInputCreatesNoDatabase();
    void tuneExportReplayRoundTrip();
    void exportCsv();
    void exportErrors();
    void sessionsListsNewestFirst();
    void tunePrintsStoredTrials();
    void benchStrategiesFirstSeed();
    void spaceChecksAGoodFile();
    void spaceRejectsABadFile_data();
    void spaceRejectsABadFile();

private:
    Run cli(const QStringList& args) const;
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QString expand(QString s) const { return s.replace(QLatin1String("{tmp}"), m_dir.path()); }

    QTemporaryDir m_dir;
    QString m_rmsnorm;
    QString m_matmul;
};

Run TestCli::cli(const QStringList& args) const
{
    return test::runCli(args, test::inFolder(m_dir.path()));
}

void TestCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFileInfo::exists(QStringLiteral(DEJAVU_TUNE_PATH)), DEJAVU_TUNE_PATH);
    m_rmsnorm = dataset(QStringLiteral("h100/triton_rmsnorm_fp16_rows16_N4096.json.gz"));
    m_matmul = dataset(QStringLiteral("h100/triton_matmul_fp16_M4096_N4096_K4096.json.gz"));
    QVERIFY(QFileInfo::exists(m_rmsnorm));
    QVERIFY(QFileInfo::exists(m_matmul));

    // Malformed datasets, derived from a real one.
    auto plain = gunzip(readFile(m_rmsnorm), m_rmsnorm);
    QVERIFY(plain.ok());
    const QByteArray json = plain.value();
    // Cut inside an entry's sample list: no repair of an interrupted file can make it whole.
    const qsizetype cut = json.indexOf("\"times\": [", json.indexOf("\"cache\"") + 2000);
    QVERIFY(cut > 0);
    QVERIFY(writeFile(path(QStringLiteral("broken.json")), json.left(cut + 10)));
    QVERIFY(writeFile(path(QStringLiteral("not-json.json")), "{\"device_name\": \"x\",\n  \"cache\": {\n    oops\n"));
    QByteArray unknownFailure = json;
    const qsizetype at = unknownFailure.indexOf("\"time\": ", unknownFailure.indexOf("\"cache\""));
    QVERIFY(at > 0);
    const qsizetype end = unknownFailure.indexOf(',', at);
    unknownFailure.replace(at, end - at, "\"time\": \"MysteryFailedConfig\"");
    QVERIFY(writeFile(path(QStringLiteral("unknown-failure.json")), unknownFailure));
    QByteArray badValue = json;
    const qsizetype v = badValue.indexOf("\"BLOCK\": 256", badValue.indexOf("\"cache\""));
    QVERIFY(v > 0);
    badValue.replace(v, int(qstrlen("\"BLOCK\": 256")), "\"BLOCK\": 999");
    QVERIFY(writeFile(path(QStringLiteral("bad-value.json")), badValue));
    // Narrowings of the rmsnorm landscape's space for tune --space: one names a value the device
    // does not have, one is not JSON.
    QVERIFY(writeFile(path(QStringLiteral("narrow-bad-value.json")),
                      "{\"name\":\"n\",\"parameters\":[{\"name\":\"BLOCK\",\"values\":[1024,999]},"
                      "{\"name\":\"num_warps\",\"values\":[4]},{\"name\":\"num_stages\",\"values\":[1]}]}"));
    QVERIFY(writeFile(path(QStringLiteral("narrow-not-json.json")), "{\"parameters\": [oops"));
}

void TestCli::replayPrintsJsonLines_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("seed");
    QTest::newRow("rmsnorm") << QStringLiteral("h100/triton_rmsnorm_fp16_rows16_N4096.json.gz") << QStringLiteral("3");
    QTest::newRow("matmul") << QStringLiteral("h100/triton_matmul_fp16_M4096_N4096_K4096.json.gz") << QStringLiteral("3");
    QTest::newRow("matmul, seed 11") << QStringLiteral("h100/triton_matmul_fp16_M4096_N4096_K4096.json.gz") << QStringLiteral("11");
    QTest::newRow("pnpoly") << QStringLiteral("kerneltuner/pnpoly_RTX_3090.json.gz") << QStringLiteral("3");
    QTest::newRow("convolution") << QStringLiteral("kerneltuner/convolution_A100.json.gz") << QStringLiteral("3");
}

void TestCli::replayPrintsJsonLines()
{
    QFETCH(QString, file);
    QFETCH(QString, seed);
    const QString path = dataset(file);
    const KernelTunerCache cache = loadCache(path);
    QStringList names;
    for (const Parameter& p : cache.space.parameters())
        names.append(p.name);

    const Run r = cli({QStringLiteral("replay"), QStringLiteral("--dataset"), path, QStringLiteral("--strategy"),
                       QStringLiteral("random"), QStringLiteral("--budget"), QStringLiteral("20"), QStringLiteral("--seed"), seed});
    QVERIFY2(r.exitStatus == QProcess::NormalExit && r.exitCode == 0, qPrintable(r.describe()));
    QVERIFY(r.out.endsWith('\n'));
    const QList<QByteArray> out = lines(r.out);
    QCOMPARE(out.size(), 20);
    QSet<QString> seen;
    for (int n = 0; n < out.size(); ++n) {
        const QByteArray& line = out[n];
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        QVERIFY2(error.error == QJsonParseError::NoError && doc.isObject(), line.constData());
        const QJsonObject o = doc.object();
        QCOMPARE(keysAtDepth(line, 1), (QStringList{QStringLiteral("i"), QStringLiteral("config"),
                                                     QStringLiteral("status"), QStringLiteral("objective")}));
        QCOMPARE(keysAtDepth(line, 2), names);
        QVERIFY(o.value(QLatin1String("i")).isDouble());
        QCOMPARE(o.value(QLatin1String("i")).toInt(), n + 1);
        const QJsonObject config = o.value(QLatin1String("config")).toObject();
        const qint64 index = cache.space.indexOf(config);
        QVERIFY2(index >= 0, line.constData());
        QVERIFY2(!seen.contains(cache.space.key(index)), line.constData());
        seen.insert(cache.space.key(index));
        const Measurement& m = cache.measurements[size_t(index)];
        QCOMPARE(o.value(QLatin1String("status")).toString(), statusName(m.status));
        if (m.isOk()) {
            QVERIFY(o.value(QLatin1String("objective")).isDouble());
            QVERIFY2(o.value(QLatin1String("objective")).toDouble() == m.objectiveMs, line.constData());
        } else {
            QVERIFY2(o.value(QLatin1String("objective")).isNull(), line.constData());
        }
    }
}

void TestCli::replayIsReproducible()
{
    auto run = [&](const QString& seed) {
        return cli({QStringLiteral("replay"), QStringLiteral("--dataset"), m_matmul, QStringLiteral("--strategy"),
                    QStringLiteral("random"), QStringLiteral("--budget"), QStringLiteral("50"), QStringLiteral("--seed"), seed});
    };
    const Run a = run(QStringLiteral("3")), b = run(QStringLiteral("3")), c = run(QStringLiteral("4"));
    QCOMPARE(a.exitCode, 0);
    QCOMPARE(b.exitCode, 0);
    QCOMPARE(c.exitCode, 0);
    QCOMPARE(lines(a.out).size(), 50);
    QCOMPARE(a.out, b.out);
    QVERIFY(a.out != c.out);
}

void TestCli::replayMatchesTheCoreSession()
{
    // The CLI is a thin wrapper: the same seed gives the same search as the core library.
    auto replay = ReplayDevice::open(QStringLiteral("replay:test"), readFile(m_matmul), m_matmul);
    QVERIFY(replay.ok());
    std::shared_ptr<Device> device(std::move(replay.value()));
    auto store = ResultStore::open(QStringLiteral(":memory:"));
    QVERIFY(store.ok());
    auto session = Session::create(*store.value(), device, SessionOptions{QStringLiteral("random"), {}, 3, 30, 0});
    QVERIFY(session.ok());
    QVERIFY(session.value()->run().ok());
    const QVector<Trial> trials = store.value()->trials(session.value()->id()).value();

    const Run r = cli({QStringLiteral("replay"), QStringLiteral("--dataset"), m_matmul, QStringLiteral("--strategy"),
                       QStringLiteral("random"), QStringLiteral("--budget"), QStringLiteral("30"), QStringLiteral("--seed"),
                       QStringLiteral("3")});
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> out = lines(r.out);
    QCOMPARE(out.size(), trials.size());
    for (int i = 0; i < out.size(); ++i)
        QCOMPARE(QJsonDocument::fromJson(out[i]).object().value(QLatin1String("config")).toObject(), trials[i].config);
}

void TestCli::gridReplayVisitsInOrder()
{
    const KernelTunerCache cache = loadCache(m_rmsnorm);
    const Run r = cli({QStringLiteral("replay"), QStringLiteral("--dataset"), m_rmsnorm, QStringLiteral("--strategy"),
                       QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("40")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    const QList<QByteArray> out = lines(r.out);
    QCOMPARE(out.size(), 40);
    for (int i = 0; i < out.size(); ++i) {
        const QJsonObject o = QJsonDocument::fromJson(out[i]).object();
        QCOMPARE(o.value(QLatin1String("i")).toInt(), i + 1);
        QCOMPARE(o.value(QLatin1String("config")).toObject(), cache.space.config(i));
        QVERIFY(o.value(QLatin1String("objective")).toDouble() == cache.measurements[size_t(i)].objectiveMs);
    }
    // A budget above the space size visits the whole space once.
    const Run all = cli({QStringLiteral("replay"), QStringLiteral("--dataset"), m_rmsnorm, QStringLiteral("--strategy"),
                         QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("100000")});
    QCOMPARE(all.exitCode, 0);
    QCOMPARE(lines(all.out).size(), 126);
    QVERIFY(all.out.startsWith(r.out));
}

void TestCli::failedConfigurationsHaveNullObjective()
{
    const KernelTunerCache cache = loadCache(m_matmul);
    const Run r = cli({QStringLiteral("replay"), QStringLiteral("--dataset"), m_matmul, QStringLiteral("--strategy"),
                       QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("384")});
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> out = lines(r.out);
    QCOMPARE(out.size(), 384);
    int nulls = 0;
    for (int i = 0; i < out.size(); ++i) {
        const QJsonObject o = QJsonDocument::fromJson(out[i]).object();
        if (o.value(QLatin1String("objective")).isNull()) {
            ++nulls;
            QCOMPARE(o.value(QLatin1String("status")).toString(), QStringLiteral("compile_error"));
            QVERIFY(out[i].endsWith("\"objective\": null}"));
        } else {
            QCOMPARE(o.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        }
        QCOMPARE(o.value(QLatin1String("status")).toString(), statusName(cache.measurements[size_t(i)].status));
    }
    QCOMPARE(nulls, 54);
}

void TestCli::errorsExitWithTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("expected"); // substrings of stderr; {tmp} is the test directory

    const QString ds = QStringLiteral(DEJAVU_DATASETS_DIR "/h100/triton_rmsnorm_fp16_rows16_N4096.json.gz");
    auto replay = [&](const QString& dataset, const QString& strategy, const QString& budget) {
        return QStringList{QStringLiteral("replay"), QStringLiteral("--dataset"), dataset, QStringLiteral("--strategy"),
                           strategy, QStringLiteral("--budget"), budget};
    };
    const QString random = QStringLiteral("random");

    QTest::newRow("no command") << QStringList{} << QStringList{QStringLiteral("usage")};
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")}
                                     << QStringList{QStringLiteral("unknown command 'frobnicate'"), QStringLiteral("usage")};
    QTest::newRow("missing --dataset")
        << QStringList{QStringLiteral("replay"), QStringLiteral("--strategy"), random, QStringLiteral("--budget"), QStringLiteral("20")}
        << QStringList{QStringLiteral("--dataset is required")};
    QTest::newRow("missing --budget")
        << QStringList{QStringLiteral("replay"), QStringLiteral("--dataset"), ds, QStringLiteral("--strategy"), random}
        << QStringList{QStringLiteral("--budget is required")};
    QStringList known = StrategyFactory::names();
    known.prepend(QStringLiteral("unknown strategy 'annealing'"));
    QTest::newRow("unknown strategy") << replay(ds, QStringLiteral("annealing"), QStringLiteral("20")) << known;
    QTest::newRow("budget 0") << replay(ds, random, QStringLiteral("0")) << QStringList{QStringLiteral("--budget"), QStringLiteral("'0'")};
    QTest::newRow("budget negative") << replay(ds, random, QStringLiteral("-3")) << QStringList{QStringLiteral("--budget"), QStringLiteral("'-3'")};
    QTest::newRow("budget not a number") << replay(ds, random, QStringLiteral("twenty"))
                                         << QStringList{QStringLiteral("--budget"), QStringLiteral("'twenty'")};
    QTest::newRow("budget with junk") << replay(ds, random, QStringLiteral("20x"))
                                      << QStringList{QStringLiteral("--budget"), QStringLiteral("'20x'")};
    QTest::newRow("seed not a number") << (replay(ds, random, QStringLiteral("20")) << QStringLiteral("--seed") << QStringLiteral("abc"))
                                       << QStringList{QStringLiteral("--seed"), QStringLiteral("'abc'")};
    QTest::newRow("unknown option") << (replay(ds, random, QStringLiteral("20")) << QStringLiteral("--frobnicate"))
                                    << QStringList{QStringLiteral("frobnicate")};
    QTest::newRow("unexpected argument") << (replay(ds, random, QStringLiteral("20")) << QStringLiteral("extra"))
                                         << QStringList{QStringLiteral("unexpected argument 'extra'")};
    QTest::newRow("dataset does not exist") << replay(QStringLiteral("{tmp}/nope.json"), random, QStringLiteral("20"))
                                            << QStringList{QStringLiteral("{tmp}/nope.json")};
    QTest::newRow("truncated JSON") << replay(QStringLiteral("{tmp}/broken.json"), random, QStringLiteral("20"))
                                    << QStringList{QStringLiteral("{tmp}/broken.json:"), QStringLiteral("invalid JSON")};
    QTest::newRow("invalid JSON") << replay(QStringLiteral("{tmp}/not-json.json"), random, QStringLiteral("20"))
                                  << QStringList{QStringLiteral("{tmp}/not-json.json:3:"), QStringLiteral("invalid JSON")};
    QTest::newRow("unknown failure string") << replay(QStringLiteral("{tmp}/unknown-failure.json"), random, QStringLiteral("20"))
                                            << QStringList{QStringLiteral("{tmp}/unknown-failure.json"), QStringLiteral(".time"),
                                                           QStringLiteral("MysteryFailedConfig")};
    QTest::newRow("value outside tune_params") << replay(QStringLiteral("{tmp}/bad-value.json"), random, QStringLiteral("20"))
                                               << QStringList{QStringLiteral("{tmp}/bad-value.json"), QStringLiteral(".BLOCK"),
                                                              QStringLiteral("999")};
    QTest::newRow("unknown built-in dataset") << replay(QStringLiteral("replay:h100/no_such_kernel"), random, QStringLiteral("20"))
                                              << QStringList{QStringLiteral("replay:h100/no_such_kernel")};
    const QStringList bench{QStringLiteral("bench-strategies"), QStringLiteral("--datasets"), ds, QStringLiteral("--strategies"),
                            random, QStringLiteral("--budgets"), QStringLiteral("10")};
    QTest::newRow("bench: seeds 0") << (bench + QStringList{QStringLiteral("--seeds"), QStringLiteral("0")})
                                    << QStringList{QStringLiteral("--seeds"), QStringLiteral("'0'")};
    QTest::newRow("bench: first seed 0") << (bench + QStringList{QStringLiteral("--first-seed"), QStringLiteral("0")})
                                         << QStringList{QStringLiteral("--first-seed"), QStringLiteral("'0'")};
    QTest::newRow("bench: first seed not a number") << (bench + QStringList{QStringLiteral("--first-seed"), QStringLiteral("x1")})
                                                    << QStringList{QStringLiteral("--first-seed"), QStringLiteral("'x1'")};
    QTest::newRow("bench: unknown strategy")
        << QStringList{QStringLiteral("bench-strategies"), QStringLiteral("--datasets"), ds, QStringLiteral("--strategies"),
                       QStringLiteral("annealing")}
        << QStringList{QStringLiteral("--strategies"), QStringLiteral("unknown strategy 'annealing'")};
}

// --first-seed F scores seeds F..F+N-1: the header says which, and another range gives other runs.
void TestCli::benchStrategiesFirstSeed()
{
    auto bench = [&](const QString& first) {
        return cli({QStringLiteral("bench-strategies"), QStringLiteral("--datasets"), QStringLiteral("h100/triton_matmul_fp16_M1024_N1024_K1024"),
                    QStringLiteral("--strategies"), QStringLiteral("random"), QStringLiteral("--budgets"), QStringLiteral("10"),
                    QStringLiteral("--seeds"), QStringLiteral("3"), QStringLiteral("--threads"), QStringLiteral("1"),
                    QStringLiteral("--first-seed"), first});
    };
    // The row's scores, without its last column (ms/proposal, a timing).
    auto row = [](const QByteArray& out) {
        for (const QByteArray& line : out.split('\n'))
            if (line.startsWith("| h100/triton_matmul_fp16_M1024_N1024_K1024 | random |"))
                return line.left(line.lastIndexOf('|', line.size() - 2));
        return QByteArray();
    };
    const Run a = bench(QStringLiteral("1")), b = bench(QStringLiteral("5")), again = bench(QStringLiteral("5"));
    for (const Run* r : {&a, &b, &again})
        QVERIFY2(r->exitStatus == QProcess::NormalExit && r->exitCode == 0, qPrintable(r->describe()));
    QVERIFY2(a.out.contains("3 seeds per strategy and landscape (1..3)"), qPrintable(a.describe()));
    QVERIFY2(b.out.contains("3 seeds per strategy and landscape (5..7)"), qPrintable(b.describe()));
    QVERIFY(!row(a.out).isEmpty());
    QVERIFY2(row(a.out) != row(b.out), QByteArray(row(a.out) + '\n' + row(b.out)).constData());
    QCOMPARE(row(again.out), row(b.out));
}

void TestCli::errorsExitWithTwo()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, expected);
    for (QString& a : args)
        a = expand(a);
    const Run r = cli(args);
    QVERIFY2(r.exitStatus == QProcess::NormalExit && r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(r.out.isEmpty(), qPrintable(r.describe()));
    const QString err = QString::fromUtf8(r.err);
    for (const QString& e : expected)
        QVERIFY2(err.contains(expand(e)), qPrintable(QStringLiteral("expected '%1' in: %2").arg(expand(e), err)));
}

void TestCli::tuneWithBadInputCreatesNoDatabase_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    const QString db = QStringLiteral("{tmp}/fresh/never.sqlite");
    const QString good = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096");
    auto tune = [&](const QString& device) {
        return QStringList{QStringLiteral("tune"), QStringLiteral("--device"), device, QStringLiteral("--db"), db,
                           QStringLiteral("--quiet")};
    };
    QTest::newRow("unknown device") << tune(QStringLiteral("replay:h100/no_such_kernel")) << QStringLiteral("replay:h100/no_such_kernel");
    QTest::newRow("missing device file") << tune(QStringLiteral("{tmp}/missing.json.gz")) << QStringLiteral("{tmp}/missing.json.gz");
    QTest::newRow("malformed device file") << tune(QStringLiteral("{tmp}/unknown-failure.json")) << QStringLiteral("MysteryFailedConfig");
    QTest::newRow("no device") << QStringList{QStringLiteral("tune"), QStringLiteral("--db"), db} << QStringLiteral("--device");
    QTest::newRow("unknown strategy") << (tune(good) << QStringLiteral("--strategy") << QStringLiteral("annealing"))
                                      << QStringLiteral("annealing");
    QTest::newRow("budget 0") << (tune(good) << QStringLiteral("--budget") << QStringLiteral("0")) << QStringLiteral("--budget");
    QTest::newRow("bad time limit") << (tune(good) << QStringLiteral("--time-limit") << QStringLiteral("soon"))
                                    << QStringLiteral("--time-limit");
    QTest::newRow("space with a value the device lacks")
        << (tune(good) << QStringLiteral("--space") << QStringLiteral("{tmp}/narrow-bad-value.json"))
        << QStringLiteral("{tmp}/narrow-bad-value.json: parameter 'BLOCK': value 999 is not one of the device's values");
    QTest::newRow("space not JSON") << (tune(good) << QStringLiteral("--space") << QStringLiteral("{tmp}/narrow-not-json.json"))
                                    << QStringLiteral("{tmp}/narrow-not-json.json: not a JSON object");
    QTest::newRow("resume without a database")
        << QStringList{QStringLiteral("tune"), QStringLiteral("--db"), db, QStringLiteral("--resume"), QStringLiteral("1")}
        << QStringLiteral("no such result database");
}

void TestCli::tuneWithBadInputCreatesNoDatabase()
{
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    for (QString& a : args)
        a = expand(a);
    const QString db = path(QStringLiteral("fresh/never.sqlite"));
    const Run r = cli(args);
    QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(QString::fromUtf8(r.err).contains(expand(expected)), qPrintable(r.describe()));
    QVERIFY(!QFileInfo::exists(db));
    QVERIFY(!QFileInfo::exists(db + QStringLiteral("-wal")));
    QVERIFY(!QFileInfo::exists(path(QStringLiteral("fresh"))));
    QVERIFY(!QFileInfo::exists(path(QStringLiteral("xdg-data"))));
}

void TestCli::tuneExportReplayRoundTrip()
{
    const QString db = path(QStringLiteral("roundtrip.sqlite"));
    const Run tune = cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"),
                          QStringLiteral("--strategy"), QStringLiteral("random"), QStringLiteral("--seed"), QStringLiteral("5"),
                          QStringLiteral("--budget"), QStringLiteral("120"), QStringLiteral("--db"), db, QStringLiteral("--quiet")});
    QVERIFY2(tune.exitCode == 0, qPrintable(tune.describe()));
    QVERIFY(tune.out.isEmpty());
    QVERIFY(QString::fromUtf8(tune.err).contains(QLatin1String("session 1 finished (budget): 120 evaluations")));

    auto store = ResultStore::open(db);
    QVERIFY2(store.ok(), qPrintable(store.error()));
    const QVector<Trial> trials = store.value()->trials(1).value();
    QCOMPARE(trials.size(), 120);
    QHash<QString, Measurement> stored;
    int failed = 0;
    for (const Trial& t : trials) {
        stored.insert(t.configKey, t.measurement);
        failed += t.measurement.isOk() ? 0 : 1;
    }
    QVERIFY2(failed > 0, "the sample should hold some compile errors");

    const QString exported = path(QStringLiteral("roundtrip.json"));
    const Run exp = cli({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--format"),
                         QStringLiteral("kerneltuner"), QStringLiteral("--out"), exported});
    QVERIFY2(exp.exitCode == 0, qPrintable(exp.describe()));
    QVERIFY(QString::fromUtf8(exp.err).contains(QLatin1String("wrote 120 trials of session 1")));

    const Run replay = cli({QStringLiteral("replay"), QStringLiteral("--dataset"), exported, QStringLiteral("--strategy"),
                            QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("1000")});
    QVERIFY2(replay.exitCode == 0, qPrintable(replay.describe()));
    const QList<QByteArray> out = lines(replay.out);
    QCOMPARE(out.size(), 120);
    const KernelTunerCache original = loadCache(m_matmul);
    qint64 previous = -1;
    QSet<QString> seen;
    for (const QByteArray& line : out) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        const QJsonObject config = o.value(QLatin1String("config")).toObject();
        const QString key = ConfigSpace::keyOf(config);
        QVERIFY2(stored.contains(key), line.constData());
        seen.insert(key);
        const Measurement& m = stored.value(key);
        QCOMPARE(o.value(QLatin1String("status")).toString(), statusName(m.status));
        if (m.isOk())
            QVERIFY2(o.value(QLatin1String("objective")).toDouble() == m.objectiveMs, line.constData());
        else
            QVERIFY(o.value(QLatin1String("objective")).isNull());
        // Grid order over the export is the original enumeration order.
        const qint64 index = original.space.indexOf(config);
        QVERIFY(index > previous);
        previous = index;
    }
    QCOMPARE(seen.size(), 120);

    // A compressed export replays the same.
    const QString gz = path(QStringLiteral("roundtrip.json.gz"));
    QCOMPARE(cli({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--format"), QStringLiteral("kerneltuner"),
                  QStringLiteral("--out"), gz, QStringLiteral("--session"), QStringLiteral("1")}).exitCode, 0);
    QVERIFY(isGzip(readFile(gz)));
    const Run replayGz = cli({QStringLiteral("replay"), QStringLiteral("--dataset"), gz, QStringLiteral("--strategy"),
                              QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("1000")});
    QCOMPARE(replayGz.exitCode, 0);
    QCOMPARE(replayGz.out, replay.out);
}

void TestCli::exportCsv()
{
    const QString db = path(QStringLiteral("csv.sqlite"));
    QCOMPARE(cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"),
                  QStringLiteral("--strategy"), QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("60"),
                  QStringLiteral("--db"), db, QStringLiteral("--quiet")}).exitCode, 0);
    const QString csv = path(QStringLiteral("trials.csv"));
    const Run r = cli({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--format"), QStringLiteral("csv"),
                       QStringLiteral("--out"), csv});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QVERIFY(r.out.isEmpty());
    const QList<QByteArray> rows = lines(readFile(csv));
    QCOMPARE(rows.size(), 61);
    QCOMPARE(rows.first(), QByteArray("seq,BLOCK_M,BLOCK_N,BLOCK_K,GROUP_M,num_warps,num_stages,status,time_ms,samples,"
                                      "compile_ms,from_store,started_at,finished_at,error"));
    auto store = ResultStore::open(db);
    QVERIFY(store.ok());
    const QVector<Trial> trials = store.value()->trials(1).value();
    for (int i = 0; i < trials.size(); ++i) {
        const QList<QByteArray> f = rows[i + 1].split(',');
        QCOMPARE(f.size(), 15);
        QCOMPARE(f[0].toInt(), i + 1);
        QCOMPARE(f[1].toInt(), trials[i].config.value(QLatin1String("BLOCK_M")).toInt());
        QCOMPARE(f[6].toInt(), trials[i].config.value(QLatin1String("num_stages")).toInt());
        QCOMPARE(QString::fromUtf8(f[7]), statusName(trials[i].measurement.status));
        if (trials[i].measurement.isOk())
            QVERIFY(std::fabs(f[8].toDouble() - trials[i].measurement.objectiveMs) <= 1e-9 * trials[i].measurement.objectiveMs);
        else
            QVERIFY(f[8].isEmpty());
    }
}

void TestCli::exportErrors()
{
    const QString db = path(QStringLiteral("export-errors.sqlite"));
    QCOMPARE(cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows1_N4096"),
                  QStringLiteral("--budget"), QStringLiteral("5"), QStringLiteral("--db"), db, QStringLiteral("--quiet")}).exitCode, 0);
    const QString out = path(QStringLiteral("never.csv"));
    auto expectFailure = [&](const QStringList& args, int code, const QString& text) {
        const Run r = cli(args);
        QVERIFY2(r.exitCode == code, qPrintable(r.describe()));
        QVERIFY2(QString::fromUtf8(r.err).contains(text), qPrintable(r.describe()));
        QVERIFY(r.out.isEmpty());
    };
    expectFailure({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--format"), QStringLiteral("xml"),
                   QStringLiteral("--out"), out}, 2, QStringLiteral("unknown format 'xml'"));
    expectFailure({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--format"), QStringLiteral("csv")}, 2,
                  QStringLiteral("--out is required"));
    expectFailure({QStringLiteral("export"), QStringLiteral("--db"), path(QStringLiteral("absent.sqlite")), QStringLiteral("--format"),
                   QStringLiteral("csv"), QStringLiteral("--out"), out}, 2, path(QStringLiteral("absent.sqlite")));
    expectFailure({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--format"), QStringLiteral("csv"),
                   QStringLiteral("--out"), out, QStringLiteral("--session"), QStringLiteral("99")}, 2, QStringLiteral("no session 99"));
    QVERIFY(!QFileInfo::exists(out));
    QVERIFY(!QFileInfo::exists(path(QStringLiteral("absent.sqlite"))));

    // An output directory that does not exist: a failure naming the path, nothing written.
    const QString nowhere = path(QStringLiteral("no/such/dir/out.csv"));
    const Run r = cli({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--format"), QStringLiteral("csv"),
                       QStringLiteral("--out"), nowhere});
    QVERIFY2(r.exitCode != 0, qPrintable(r.describe()));
    QVERIFY2(QString::fromUtf8(r.err).contains(nowhere), qPrintable(r.describe()));
    QVERIFY(!QFileInfo::exists(path(QStringLiteral("no"))));
}

void TestCli::sessionsListsNewestFirst()
{
    const QString db = path(QStringLiteral("sessions.sqlite"));
    QCOMPARE(cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096"),
                  QStringLiteral("--strategy"), QStringLiteral("random"), QStringLiteral("--budget"), QStringLiteral("30"),
                  QStringLiteral("--db"), db, QStringLiteral("--quiet")}).exitCode, 0);
    QCOMPARE(cli({QStringLiteral("tune"), QStringLiteral("--device"), QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"),
                  QStringLiteral("--strategy"), QStringLiteral("grid"), QStringLiteral("--budget"), QStringLiteral("10"),
                  QStringLiteral("--db"), db, QStringLiteral("--quiet")}).exitCode, 0);
    const Run r = cli({QStringLiteral("sessions"), QStringLiteral("--db"), db});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    const QList<QByteArray> out = lines(r.out);
    QCOMPARE(out.size(), 3);
    QVERIFY(out[0].simplified().startsWith("id state evals best strategy"));

    auto store = ResultStore::open(db);
    QVERIFY(store.ok());
    const struct {
        qint64 id;
        const char* strategy;
        int evals;
        const char* device;
    } expected[] = {{2, "grid", 10, "replay:h100/triton_rmsnorm_fp16_rows16_N4096"},
                    {1, "random", 30, "replay:h100/triton_matmul_fp16_M4096_N4096_K4096"}};
    for (int i = 0; i < 2; ++i) {
        // The best is a time with its unit ("1.039 ms", "5.280 µs"), as the summary prints it.
        const QStringList f = QString::fromUtf8(out[i + 1]).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        QCOMPARE(f.size(), 9);
        const SessionRecord rec = store.value()->session(expected[i].id).value();
        QCOMPARE(f[0].toLongLong(), expected[i].id);
        QCOMPARE(f[1], QStringLiteral("finished"));
        QCOMPARE(f[2].toInt(), expected[i].evals);
        QVERIFY(rec.bestMs.has_value());
        QCOMPARE(f[3] + QLatin1Char(' ') + f[4], Format::time(*rec.bestMs));
        QCOMPARE(f[5], QLatin1String(expected[i].strategy));
        QCOMPARE(f[6], rec.kernel);
        QCOMPARE(f[7], QStringLiteral("on"));
        QCOMPARE(f[8], QLatin1String(expected[i].device));
    }

    const Run missing = cli({QStringLiteral("sessions"), QStringLiteral("--db"), path(QStringLiteral("nothing.sqlite"))});
    QCOMPARE(missing.exitCode, 2);
    QVERIFY(missing.out.isEmpty());
    QVERIFY(QString::fromUtf8(missing.err).contains(path(QStringLiteral("nothing.sqlite"))));
    QVERIFY(!QFileInfo::exists(path(QStringLiteral("nothing.sqlite"))));

    QVERIFY(writeFile(path(QStringLiteral("garbage.sqlite")), QByteArray(4096, 'g')));
    const Run garbage = cli({QStringLiteral("sessions"), QStringLiteral("--db"), path(QStringLiteral("garbage.sqlite"))});
    QCOMPARE(garbage.exitCode, 2);
    QVERIFY(QString::fromUtf8(garbage.err).contains(path(QStringLiteral("garbage.sqlite"))));
}

void TestCli::tunePrintsStoredTrials()
{
    // --print-trials: one line per trial once it is committed; the chaos soak (bench/chaos_soak.py)
    // checks the store against these lines after killing the engine.
    const QString db = path(QStringLiteral("printed.sqlite"));
    const QString device = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096");
    const Run first = cli({QStringLiteral("tune"), QStringLiteral("--device"), device, QStringLiteral("--strategy"), QStringLiteral("random"),
                           QStringLiteral("--budget"), QStringLiteral("5"), QStringLiteral("--db"), db, QStringLiteral("--quiet"),
                           QStringLiteral("--print-trials")});
    QVERIFY2(first.exitCode == 0, qPrintable(first.describe()));
    const Run second = cli({QStringLiteral("tune"), QStringLiteral("--device"), device, QStringLiteral("--resume"), QStringLiteral("1"),
                            QStringLiteral("--budget"), QStringLiteral("8"), QStringLiteral("--db"), db, QStringLiteral("--quiet"),
                            QStringLiteral("--print-trials")});
    QVERIFY2(second.exitCode == 0, qPrintable(second.describe()));
    const QList<QByteArray> printed = lines(first.out) + lines(second.out);
    QCOMPARE(lines(first.out).size(), 5);

    auto store = ResultStore::open(db);
    QVERIFY(store.ok());
    const QVector<Trial> trials = store.value()->trials(1).value();
    QCOMPARE(trials.size(), 8);
    QCOMPARE(printed.size(), trials.size());
    for (int i = 0; i < trials.size(); ++i) {
        QJsonParseError error;
        const QJsonObject line = QJsonDocument::fromJson(printed[i], &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, printed[i].constData());
        QCOMPARE(line.value(QLatin1String("i")).toInt(), trials[i].sequence);
        QCOMPARE(line.value(QLatin1String("config")).toObject(), trials[i].config);
        QCOMPARE(line.value(QLatin1String("status")).toString(), statusName(trials[i].measurement.status));
    }
    // Without the option stdout stays empty.
    const Run quiet = cli({QStringLiteral("tune"), QStringLiteral("--device"), device, QStringLiteral("--resume"), QStringLiteral("1"),
                           QStringLiteral("--budget"), QStringLiteral("9"), QStringLiteral("--db"), db, QStringLiteral("--quiet")});
    QVERIFY2(quiet.exitCode == 0, qPrintable(quiet.describe()));
    QVERIFY(quiet.out.isEmpty());
}

void TestCli::spaceChecksAGoodFile()
{
    const QByteArray json = "{\n"
                            "  \"name\": \"demo\",\n"
                            "  \"parameters\": [\n"
                            "    {\"name\": \"x\", \"values\": [1, 2, 4, 8]},\n"
                            "    {\"name\": \"y\", \"values\": [1, 2, 4, 8]},\n"
                            "    {\"name\": \"mode\", \"values\": [\"a\", \"b\"]}\n"
                            "  ],\n"
                            "  \"constraints\": [\n"
                            "    \"x * y <= 16\",\n"
                            "    \"mode == \\\"a\\\" || x >= 4\"\n"
                            "  ]\n"
                            "}\n";
    const QString file = path(QStringLiteral("good-space.json"));
    QVERIFY(writeFile(file, json));
    int valid = 0;
    for (int x : {1, 2, 4, 8})
        for (int y : {1, 2, 4, 8})
            for (bool a : {true, false})
                valid += (x * y <= 16 && (a || x >= 4)) ? 1 : 0;

    const Run r = cli({QStringLiteral("space"), file, QStringLiteral("--list"), QStringLiteral("4")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    const QList<QByteArray> out = lines(r.out);
    QCOMPARE(out.size(), 5);
    QVERIFY2(QString::fromUtf8(out[0]).startsWith(QStringLiteral("%1: 3 parameters, 32 combinations, %2 valid after 2 constraints")
                                                      .arg(file).arg(valid)),
             out[0].constData());
    auto space = ConfigSpace::fromJson(json, file);
    QVERIFY(space.ok());
    QCOMPARE(space->size(), qint64(valid));
    for (int i = 0; i < 4; ++i)
        QCOMPARE(QString::fromUtf8(out[i + 1]), space->key(i));
}

void TestCli::spaceRejectsABadFile_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("expected"); // {file} is the space file
    QTest::newRow("unknown parameter in a constraint")
        << QByteArray("{\n  \"parameters\": [\n    {\"name\": \"BLOCK_M\", \"values\": [32, 64]},\n"
                      "    {\"name\": \"BLOCK_N\", \"values\": [32, 64]}\n  ],\n  \"constraints\": [\n"
                      "    \"BLOCK_M <= 64\",\n    \"BLOCK_Q <= 128\"\n  ]\n}\n")
        << QStringList{QStringLiteral("{file}:8:"), QStringLiteral("BLOCK_Q")};
    QTest::newRow("invalid JSON")
        << QByteArray("{\n  \"parameters\": [\n    {\"name\": \"x\", \"values\": [1, 2,]}\n  ]\n}\n")
        << QStringList{QStringLiteral("{file}:3:"), QStringLiteral("invalid JSON")};
    QTest::newRow("duplicate value")
        << QByteArray("{\"parameters\": [{\"name\": \"x\", \"values\": [1, 2, 1]}]}")
        << QStringList{QStringLiteral("{file}"), QStringLiteral("parameters[0].values[2]"), QStringLiteral("duplicate")};
    QTest::newRow("unknown field")
        << QByteArray("{\"parameters\": [{\"name\": \"x\", \"values\": [1]}], \"constriants\": []}")
        << QStringList{QStringLiteral("{file}"), QStringLiteral("constriants")};
    // Constraints that used to count every configuration valid.
    QTest::newRow("assignment")
        << QByteArray("{\n  \"parameters\": [{\"name\": \"A\", \"values\": [1, 2, 3, 4]}],\n  \"constraints\": [\"A = 3\"]\n}\n")
        << QStringList{QStringLiteral("{file}:3: constraint 'A = 3': '=' would assign a value, not compare; write '=='")};
    QTest::newRow("division by zero")
        << QByteArray("{\"parameters\": [{\"name\": \"A\", \"values\": [1, 2, 3, 4]}], \"constraints\": [\"A / 0 > 1\"]}")
        << QStringList{QStringLiteral("{file}: constraint 1 'A / 0 > 1': divides by zero or has no defined value (0/0, sqrt or log of a negative) at A = 1")};
    QTest::newRow("800 KB constraint")
        << QByteArray("{\"parameters\": [{\"name\": \"A\", \"values\": [1]}], \"constraints\": [\"A > ") + QByteArray(800000, '1') + "\"]}"
        << QStringList{QStringLiteral("800004 characters, more than the 2000 a constraint may have")};
    QTest::newRow("key twice")
        << QByteArray("{\"parameters\": [{\"name\": \"A\", \"values\": [1]}],\n \"constraints\": [], \"constraints\": [\"A > 5\"]}")
        << QStringList{QStringLiteral("{file}:2:21: duplicate key \"constraints\" in the top-level object")};
}

void TestCli::spaceRejectsABadFile()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, expected);
    const QString file = path(QStringLiteral("bad-space-%1.json").arg(QLatin1String(QTest::currentDataTag())).replace(QLatin1Char(' '), QLatin1Char('-')));
    QVERIFY(writeFile(file, json));
    const Run r = cli({QStringLiteral("space"), file});
    QVERIFY2(r.exitCode == 2, qPrintable(r.describe().left(2000)));
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.size() < 1000, r.err.left(1000).constData()); // a file's text is quoted clipped
    for (QString e : expected) {
        e.replace(QLatin1String("{file}"), file);
        QVERIFY2(QString::fromUtf8(r.err).contains(e), qPrintable(QStringLiteral("expected '%1' in: %2").arg(e, QString::fromUtf8(r.err))));
    }

    const Run missing = cli({QStringLiteral("space"), path(QStringLiteral("no-space.json"))});
    QCOMPARE(missing.exitCode, 2);
    QVERIFY(QString::fromUtf8(missing.err).contains(path(QStringLiteral("no-space.json"))));
    const Run none = cli({QStringLiteral("space")});
    QCOMPARE(none.exitCode, 2);
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
