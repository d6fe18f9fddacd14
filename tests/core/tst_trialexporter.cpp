#include "TestSupport.h"
#include "DeviceRegistry.h"
#include "Gzip.h"
#include "ReplayDevice.h"
#include "ResultStore.h"
#include "Session.h"
#include "TrialExporter.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace dv;
using namespace dv::test;

namespace {

QByteArray readFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

/// RFC 4180 parsing: rows of fields, quotes doubled inside quoted fields, newlines allowed there.
QVector<QStringList> parseCsv(const QString& text)
{
    QVector<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false, any = false;
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == QLatin1Char('"')) {
                if (i + 1 < text.size() && text[i + 1] == QLatin1Char('"')) {
                    field += QLatin1Char('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
            any = true;
        } else if (c == QLatin1Char(',')) {
            row.append(field);
            field.clear();
            any = true;
        } else if (c == QLatin1Char('\n')) {
            row.append(field);
            rows.append(row);
            row.clear();
            field.clear();
            any = false;
        } else {
            field += c;
            any = true;
        }
    }
    if (any) {
        row.append(field);
        rows.append(row);
    }
    return rows;
}

/// A device with int, string (with commas and quotes), float and bool parameters, whose
/// configurations end in every status, including those Kernel Tuner has no word for.
class FakeDevice : public Device {
public:
    FakeDevice()
    {
        Parameter tile{QStringLiteral("tile"), ParameterType::Int, {1, 2, 4}};
        Parameter mode{QStringLiteral("mode"), ParameterType::String,
                       {QStringLiteral("a,b"), QStringLiteral("say \"hi\""), QStringLiteral("plain")}};
        Parameter scale{QStringLiteral("scale"), ParameterType::Float, {0.5, 1.0, 2.5}};
        Parameter flag{QStringLiteral("flag"), ParameterType::Bool, {false, true}};
        auto space = ConfigSpace::create(QStringLiteral("fake"), {tile, mode, scale, flag}, {});
        if (!space)
            qFatal("fake space: %s", qPrintable(space.error()));
        m_workload.kernel = QStringLiteral("fake_kernel");
        m_workload.problem = QStringLiteral("[128,256]");
        m_workload.space = space.value();
        m_info.id = QStringLiteral("fake:0");
        m_info.name = QStringLiteral("Fake GPU, \"rev 2\"");
        m_info.backend = QStringLiteral("fake");
        m_info.toolchain = QStringLiteral("fake 1.0");
    }
    DeviceInfo info() const override { return m_info; }
    const Workload& workload() const override { return m_workload; }
    Measurement evaluate(const QJsonObject& config) override
    {
        const qint64 i = m_workload.space.indexOf(config);
        return expected(i);
    }
    static Measurement expected(qint64 i)
    {
        static const Status cycle[] = {Status::Ok,          Status::WrongResult, Status::Ok,      Status::Timeout,
                                       Status::Crashed,     Status::CompileError, Status::Ok,     Status::RuntimeError,
                                       Status::Invalid};
        const Status s = cycle[i % 9];
        Measurement m;
        if (s == Status::Ok) {
            m.status = Status::Ok;
            m.objectiveMs = 1.0 / 3.0 + double(i) * 0.125 + 1e-13 * double(i);
            m.samplesMs = {m.objectiveMs, m.objectiveMs * 1.5, m.objectiveMs / 7.0};
            m.extra = QJsonObject{{QStringLiteral("benchmark_time"), 12.5 + double(i)}};
        } else {
            m = Measurement::failure(s, QStringLiteral("config %1 failed: \"%2\", see log").arg(i).arg(statusName(s)));
        }
        m.compileTimeMs = s == Status::Invalid ? std::nan("") : 100.0 + double(i);
        return m;
    }

private:
    DeviceInfo m_info;
    Workload m_workload;
};

struct SessionData {
    SessionRecord record;
    QVector<Trial> trials;
};

SessionData runSession(std::shared_ptr<Device> device, const QString& strategy, int budget, quint64 seed = 3)
{
    auto store = openStore(QStringLiteral(":memory:"));
    auto session = Session::create(*store, std::move(device), SessionOptions{strategy, {}, seed, budget, 0});
    if (!session)
        qFatal("%s", qPrintable(session.error()));
    if (!session.value()->run())
        qFatal("session failed");
    const qint64 id = session.value()->id();
    return SessionData{store->session(id).value(), store->trials(id).value()};
}

bool sameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

} // namespace

class TestTrialExporter : public QObject {
    Q_OBJECT

private slots:
    void csvHeaderAndRows();
    void csvOfARealSession();
    void kernelTunerRoundTrip_data();
    void kernelTunerRoundTrip();
    void kernelTunerKeepsStatusesItHasNoWordFor();
    void t4ResultsFollowTheSchema();
    void t4ValidationNamesTheField_data();
    void t4ValidationNamesTheField();
    void writeFailureLeavesNothing();
    void writeReplacesAtomically();
    void unknownFormatIsRefused();
    void gzOutputIsGzip();
};

void TestTrialExporter::csvHeaderAndRows()
{
    auto device = std::make_shared<FakeDevice>();
    const ConfigSpace& space = device->workload().space;
    SessionRecord session;
    session.id = 4;
    session.space = space.toJson();

    QVector<Trial> trials;
    const QDateTime t0(QDate(2024, 5, 17), QTime(10, 20, 30, 123), Qt::UTC);
    // Configurations whose string values hold a comma and quotes; errors with commas, quotes, newlines.
    const qint64 picks[] = {0, 7, 13, 29, 40};
    int seq = 0;
    for (qint64 index : picks) {
        Trial t;
        t.sessionId = session.id;
        t.sequence = ++seq;
        t.spaceIndex = index;
        t.config = space.config(index);
        t.configKey = ConfigSpace::keyOf(t.config);
        t.measurement = FakeDevice::expected(index);
        t.startedAt = t0.addSecs(seq);
        t.finishedAt = t.startedAt.addMSecs(250);
        t.fromStore = seq == 3;
        trials.append(t);
    }
    trials[1].measurement.error = QStringLiteral("line one, \"two\"\nline three");

    const QByteArray csv = TrialExporter::toCsv(session, trials);
    const QString text = QString::fromUtf8(csv);
    QVERIFY(text.endsWith(QLatin1Char('\n')));
    QCOMPARE(text.section(QLatin1Char('\n'), 0, 0),
             QStringLiteral("seq,tile,mode,scale,flag,status,time_ms,samples,compile_ms,from_store,started_at,finished_at,error"));
    // Quoting: doubled quotes inside a quoted field.
    QVERIFY(text.contains(QLatin1String("\"say \"\"hi\"\"\"")));
    QVERIFY(text.contains(QLatin1String("\"a,b\"")));

    const QVector<QStringList> rows = parseCsv(text);
    QCOMPARE(rows.size(), trials.size() + 1);
    const QStringList header = rows.first();
    QCOMPARE(header.size(), 13);
    for (int r = 0; r < trials.size(); ++r) {
        const Trial& t = trials[r];
        const QStringList& row = rows[r + 1];
        QCOMPARE(row.size(), header.size());
        QHash<QString, QString> f;
        for (int c = 0; c < header.size(); ++c)
            f.insert(header[c], row[c]);
        QCOMPARE(f.value(QStringLiteral("seq")), QString::number(t.sequence));
        QCOMPARE(f.value(QStringLiteral("tile")), QString::number(t.config.value(QLatin1String("tile")).toInt()));
        QCOMPARE(f.value(QStringLiteral("mode")), t.config.value(QLatin1String("mode")).toString());
        QCOMPARE(f.value(QStringLiteral("scale")).toDouble(), t.config.value(QLatin1String("scale")).toDouble());
        QCOMPARE(f.value(QStringLiteral("flag")), t.config.value(QLatin1String("flag")).toBool() ? QStringLiteral("true") : QStringLiteral("false"));
        const Measurement& m = t.measurement;
        QCOMPARE(f.value(QStringLiteral("status")), statusName(m.status));
        if (m.status == Status::Ok) {
            bool ok = false;
            const double time = f.value(QStringLiteral("time_ms")).toDouble(&ok);
            QVERIFY(ok);
            QVERIFY(std::fabs(time - m.objectiveMs) <= 1e-9 * m.objectiveMs);
            const QStringList samples = f.value(QStringLiteral("samples")).split(QLatin1Char(' '));
            QCOMPARE(samples.size(), m.samplesMs.size());
            for (int i = 0; i < samples.size(); ++i)
                QVERIFY(std::fabs(samples[i].toDouble() - m.samplesMs[i]) <= 1e-9 * m.samplesMs[i]);
        } else {
            QCOMPARE(f.value(QStringLiteral("time_ms")), QString());
            QCOMPARE(f.value(QStringLiteral("samples")), QString());
        }
        if (std::isfinite(m.compileTimeMs))
            QCOMPARE(f.value(QStringLiteral("compile_ms")).toDouble(), m.compileTimeMs);
        else
            QCOMPARE(f.value(QStringLiteral("compile_ms")), QString());
        QCOMPARE(f.value(QStringLiteral("from_store")), t.fromStore ? QStringLiteral("1") : QStringLiteral("0"));
        QCOMPARE(QDateTime::fromString(f.value(QStringLiteral("started_at")), Qt::ISODateWithMs), t.startedAt);
        QCOMPARE(QDateTime::fromString(f.value(QStringLiteral("finished_at")), Qt::ISODateWithMs), t.finishedAt);
        QCOMPARE(f.value(QStringLiteral("error")), m.error);
    }

    // No trials: the header alone.
    QCOMPARE(TrialExporter::toCsv(session, {}).count('\n'), qsizetype(1));
}

void TestTrialExporter::csvOfARealSession()
{
    const SessionData s = runSession(openDevice(QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096")),
                                     QStringLiteral("random"), 100);
    const QVector<QStringList> rows = parseCsv(QString::fromUtf8(TrialExporter::toCsv(s.record, s.trials)));
    QCOMPARE(rows.size(), 101);
    QCOMPARE(rows.first().mid(0, 7), (QStringList{QStringLiteral("seq"), QStringLiteral("BLOCK_M"), QStringLiteral("BLOCK_N"),
                                                 QStringLiteral("BLOCK_K"), QStringLiteral("GROUP_M"),
                                                 QStringLiteral("num_warps"), QStringLiteral("num_stages")}));
    int failures = 0;
    for (int i = 0; i < s.trials.size(); ++i) {
        const QStringList& row = rows[i + 1];
        QCOMPARE(row.size(), rows.first().size());
        QCOMPARE(row[0].toInt(), s.trials[i].sequence);
        QCOMPARE(row[1].toInt(), s.trials[i].config.value(QLatin1String("BLOCK_M")).toInt());
        QCOMPARE(row[7], statusName(s.trials[i].measurement.status));
        failures += s.trials[i].measurement.status == Status::CompileError ? 1 : 0;
    }
    QVERIFY(failures > 0);
}

void TestTrialExporter::kernelTunerRoundTrip_data()
{
    QTest::addColumn<QString>("dataset");
    QTest::addColumn<QString>("strategy");
    QTest::addColumn<int>("budget");
    QTest::newRow("rmsnorm, random 60") << QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096") << QStringLiteral("random") << 60;
    QTest::newRow("matmul, whole space (compile errors)") << QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096") << QStringLiteral("grid") << 0;
    QTest::newRow("pnpoly, random 400 (runtime errors)") << QStringLiteral("replay:kerneltuner/pnpoly_RTX_3090") << QStringLiteral("random") << 400;
    QTest::newRow("convolution A100, random 500") << QStringLiteral("replay:kerneltuner/convolution_A100") << QStringLiteral("random") << 500;
    QTest::newRow("convolution MI250X (no device name), random 50") << QStringLiteral("replay:kerneltuner/convolution_MI250X") << QStringLiteral("random") << 50;
}

void TestTrialExporter::kernelTunerRoundTrip()
{
    QFETCH(QString, dataset);
    QFETCH(QString, strategy);
    QFETCH(int, budget);
    std::shared_ptr<Device> original = openDevice(dataset);
    const KernelTunerCache& originalCache = dynamic_cast<ReplayDevice&>(*original).cache();
    const SessionData s = runSession(original, strategy, budget, 17);

    auto exported = TrialExporter::toKernelTuner(s.record, s.trials);
    QVERIFY2(exported.ok(), qPrintable(exported.error()));
    auto replay = ReplayDevice::open(QStringLiteral("replay:exported"), exported.value(), QStringLiteral("exported.json"));
    QVERIFY2(replay.ok(), qPrintable(replay.error()));
    ReplayDevice& r = *replay.value();

    QCOMPARE(r.workload().space.size(), qint64(s.trials.size()));
    QCOMPARE(r.workload().kernel, s.record.kernel);
    QCOMPARE(r.workload().problem, s.record.problem);
    QCOMPARE(r.cache().deviceName, originalCache.deviceName);
    QCOMPARE(r.cache().problemSize, originalCache.problemSize);
    // Parameters in the same order with the same values.
    const auto& p0 = original->workload().space.parameters();
    const auto& p1 = r.workload().space.parameters();
    QCOMPARE(p1.size(), p0.size());
    for (int i = 0; i < p0.size(); ++i) {
        QCOMPARE(p1[i].name, p0[i].name);
        QCOMPARE(p1[i].values, p0[i].values);
    }

    for (const Trial& t : s.trials) {
        const Measurement replayed = r.evaluate(t.config);
        const Measurement& stored = t.measurement;
        QCOMPARE(replayed.status, stored.status);
        QVERIFY2(sameDouble(replayed.objectiveMs, stored.objectiveMs),
                 qPrintable(QStringLiteral("%1: %2 vs %3").arg(t.configKey).arg(replayed.objectiveMs, 0, 'g', 17)
                                .arg(stored.objectiveMs, 0, 'g', 17)));
        if (stored.isOk())
            QCOMPARE(replayed.samplesMs, stored.samplesMs);
        if (std::isfinite(stored.compileTimeMs))
            QCOMPARE(replayed.compileTimeMs, stored.compileTimeMs);
        QCOMPARE(replayed.error, stored.error);
    }
    // A configuration the session did not try is not in the export.
    if (s.trials.size() < original->workload().space.size()) {
        QSet<QString> tried;
        for (const Trial& t : s.trials)
            tried.insert(t.configKey);
        for (qint64 i = 0; i < original->workload().space.size(); ++i) {
            if (!tried.contains(original->workload().space.key(i))) {
                QCOMPARE(r.evaluate(original->workload().space.config(i)).status, Status::Invalid);
                break;
            }
        }
    }
    // Exporting a session over the export gives the same objectives again (a fixed point).
    const SessionData again = runSession(std::shared_ptr<Device>(std::move(replay.value())), QStringLiteral("grid"), 0);
    QCOMPARE(again.trials.size(), s.trials.size());
    QHash<QString, Measurement> first;
    for (const Trial& t : s.trials)
        first.insert(t.configKey, t.measurement);
    for (const Trial& t : again.trials) {
        QVERIFY(first.contains(t.configKey));
        QCOMPARE(t.measurement.status, first.value(t.configKey).status);
        QVERIFY(sameDouble(t.measurement.objectiveMs, first.value(t.configKey).objectiveMs));
    }
}

void TestTrialExporter::kernelTunerKeepsStatusesItHasNoWordFor()
{
    auto device = std::make_shared<FakeDevice>();
    const ConfigSpace space = device->workload().space;
    const SessionData s = runSession(device, QStringLiteral("random"), 0, 5);
    QCOMPARE(s.trials.size(), int(space.size()));

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("fake.json"));
    auto written = TrialExporter::write(QStringLiteral("kerneltuner"), s.record, s.trials, path);
    QVERIFY2(written.ok(), qPrintable(written.error()));

    // Kernel Tuner's own fields hold only words it knows.
    const QJsonObject root = QJsonDocument::fromJson(readFile(path)).object();
    QCOMPARE(root.value(QLatin1String("kernel_name")).toString(), QStringLiteral("fake_kernel"));
    QCOMPARE(root.value(QLatin1String("device_name")).toString(), device->info().name);
    QCOMPARE(root.value(QLatin1String("problem_size")).toArray(), (QJsonArray{128, 256}));
    const QJsonObject cache = root.value(QLatin1String("cache")).toObject();
    QCOMPARE(cache.size(), int(space.size()));
    QSet<QString> ourStatuses;
    for (auto it = cache.begin(); it != cache.end(); ++it) {
        const QJsonObject e = it.value().toObject();
        const QJsonValue time = e.value(QLatin1String("time"));
        if (time.isString()) {
            QVERIFY(KernelTunerCache::statusFromFailure(time.toString()).has_value());
            if (e.contains(QLatin1String("dejavu_status")))
                ourStatuses.insert(e.value(QLatin1String("dejavu_status")).toString());
        } else {
            QVERIFY(time.isDouble());
        }
    }
    QCOMPARE(ourStatuses, (QSet<QString>{QStringLiteral("wrong_result"), QStringLiteral("timeout"), QStringLiteral("crashed")}));

    // And the replay of the file gives every status back.
    auto replay = DeviceRegistry::open(path);
    QVERIFY2(replay.ok(), qPrintable(replay.error()));
    QSet<int> seen;
    for (const Trial& t : s.trials) {
        const Measurement m = replay.value()->evaluate(t.config);
        QCOMPARE(m.status, t.measurement.status);
        QCOMPARE(m.status, FakeDevice::expected(space.indexOf(t.config)).status);
        QVERIFY(sameDouble(m.objectiveMs, t.measurement.objectiveMs));
        QCOMPARE(m.error, t.measurement.error);
        seen.insert(int(m.status));
    }
    QCOMPARE(seen.size(), int(std::size(kAllStatuses)));
    QCOMPARE(replay.value()->workload().space.size(), space.size());
}

void TestTrialExporter::writeFailureLeavesNothing()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const SessionData s = runSession(std::make_shared<FakeDevice>(), QStringLiteral("grid"), 10);
    for (const QString& format : TrialExporter::formats()) {
        const QString path = dir.filePath(QStringLiteral("missing/sub/out.") + format);
        auto written = TrialExporter::write(format, s.record, s.trials, path);
        QVERIFY(!written.ok());
        QVERIFY2(written.error().contains(path), qPrintable(written.error()));
        QVERIFY(!QFileInfo::exists(path));
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("missing"))));
    }
    // The target is a directory: refused, the directory stays as it was.
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("taken")));
    const QString taken = dir.filePath(QStringLiteral("taken"));
    auto written = TrialExporter::write(QStringLiteral("csv"), s.record, s.trials, taken);
    QVERIFY(!written.ok());
    QVERIFY2(written.error().contains(taken), qPrintable(written.error()));
    QVERIFY(QFileInfo(taken).isDir());
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList{QStringLiteral("taken")});
}

void TestTrialExporter::writeReplacesAtomically()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const SessionData s = runSession(std::make_shared<FakeDevice>(), QStringLiteral("grid"), 12);
    const QString path = dir.filePath(QStringLiteral("trials.csv"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(100000, 'x'));
    }
    // A file with other content is replaced only when asked to (force).
    auto written = TrialExporter::write(QStringLiteral("csv"), s.record, s.trials, path, true);
    QVERIFY2(written.ok(), qPrintable(written.error()));
    QCOMPARE(readFile(path), TrialExporter::toCsv(s.record, s.trials));
    // No temporary file left next to it.
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
             QStringList{QStringLiteral("trials.csv")});
}

void TestTrialExporter::unknownFormatIsRefused()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const SessionData s = runSession(std::make_shared<FakeDevice>(), QStringLiteral("grid"), 3);
    const QString path = dir.filePath(QStringLiteral("out.xml"));
    auto written = TrialExporter::write(QStringLiteral("xml"), s.record, s.trials, path);
    QVERIFY(!written.ok());
    QVERIFY2(written.error().contains(QLatin1String("xml")), qPrintable(written.error()));
    QVERIFY2(written.error().contains(QLatin1String("csv")) && written.error().contains(QLatin1String("kerneltuner")),
             qPrintable(written.error()));
    QVERIFY(!QFileInfo::exists(path));
}

void TestTrialExporter::gzOutputIsGzip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const SessionData s = runSession(openDevice(QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows1_N4096")),
                                     QStringLiteral("random"), 40);
    const QString ktPath = dir.filePath(QStringLiteral("export.json.gz"));
    const QString csvPath = dir.filePath(QStringLiteral("export.csv.gz"));
    QVERIFY(TrialExporter::write(QStringLiteral("kerneltuner"), s.record, s.trials, ktPath).ok());
    QVERIFY(TrialExporter::write(QStringLiteral("csv"), s.record, s.trials, csvPath).ok());

    const QByteArray kt = readFile(ktPath);
    QVERIFY(isGzip(kt));
    auto ktPlain = gunzip(kt, ktPath);
    QVERIFY2(ktPlain.ok(), qPrintable(ktPlain.error()));
    QCOMPARE(ktPlain.value(), TrialExporter::toKernelTuner(s.record, s.trials).value());

    const QByteArray csv = readFile(csvPath);
    QVERIFY(isGzip(csv));
    QCOMPARE(gunzip(csv, csvPath).value(), TrialExporter::toCsv(s.record, s.trials));

    // Readable by gzip(1) where it is installed.
    const QString gzipTool = QStandardPaths::findExecutable(QStringLiteral("gzip"));
    if (!gzipTool.isEmpty()) {
        QProcess p;
        p.start(gzipTool, {QStringLiteral("-dc"), ktPath});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(p.readAllStandardOutput(), ktPlain.value());
    }

    // The compressed export opens as a device.
    auto device = DeviceRegistry::open(ktPath);
    QVERIFY2(device.ok(), qPrintable(device.error()));
    QCOMPARE(device.value()->workload().space.size(), qint64(40));
}

QTEST_GUILESS_MAIN(TestTrialExporter)
#include "tst_trialexporter.moc"

// T4 (the auto-tuning community's results schema, as Kernel Tuner writes it): every trial once,
// failures with the schema's invalidity words, a wrong result with correctness 0, and the file
// passes the schema's rules when read back.
void TestTrialExporter::t4ResultsFollowTheSchema()
{
    auto device = std::make_shared<FakeDevice>();
    const SessionData s = runSession(device, QStringLiteral("random"), 0, 5);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("results.json"));
    auto written = TrialExporter::write(QStringLiteral("t4"), s.record, s.trials, path);
    QVERIFY2(written.ok(), qPrintable(written.error()));
    const QByteArray bytes = readFile(path);
    auto checked = TrialExporter::validateT4(bytes, path);
    QVERIFY2(checked.ok(), qPrintable(checked.error()));
    QCOMPARE(checked.value(), s.trials.size());

    const QJsonObject root = QJsonDocument::fromJson(bytes).object();
    QCOMPARE(root.value(QLatin1String("schema_version")).toString(), QStringLiteral("1.0.0"));
    const QJsonArray results = root.value(QLatin1String("results")).toArray();
    QCOMPARE(results.size(), s.trials.size());
    const QHash<Status, QString> words{{Status::Ok, QStringLiteral("correct")}, {Status::CompileError, QStringLiteral("compile")},
                                       {Status::RuntimeError, QStringLiteral("runtime")}, {Status::Crashed, QStringLiteral("runtime")},
                                       {Status::Timeout, QStringLiteral("timeout")}, {Status::WrongResult, QStringLiteral("correctness")},
                                       {Status::Invalid, QStringLiteral("constraints")}};
    QSet<QString> seen;
    for (int i = 0; i < results.size(); ++i) {
        const QJsonObject r = results[i].toObject();
        const Trial& t = s.trials[i];
        QCOMPARE(r.value(QLatin1String("configuration")).toObject(), t.config);
        QCOMPARE(r.value(QLatin1String("invalidity")).toString(), words.value(t.measurement.status));
        seen.insert(r.value(QLatin1String("invalidity")).toString());
        QCOMPARE(r.value(QLatin1String("correctness")).toInt(), t.measurement.status == Status::WrongResult ? 0 : 1);
        const QJsonArray runtimes = r.value(QLatin1String("times")).toObject().value(QLatin1String("runtimes")).toArray();
        QCOMPARE(runtimes.size(), t.measurement.samplesMs.size());
        const QJsonObject time = r.value(QLatin1String("measurements")).toArray().first().toObject();
        QCOMPARE(time.value(QLatin1String("unit")).toString(), QStringLiteral("ms"));
        if (t.measurement.isOk())
            QCOMPARE(time.value(QLatin1String("value")).toDouble(), t.measurement.objectiveMs);
        else
            QCOMPARE(time.value(QLatin1String("value")).toString(), statusName(t.measurement.status));
        QCOMPARE(r.value(QLatin1String("objectives")).toArray(), QJsonArray{QStringLiteral("time")});
    }
    QVERIFY(seen.contains(QStringLiteral("correct")));
    QVERIFY(seen.contains(QStringLiteral("correctness")));
    QVERIFY(seen.contains(QStringLiteral("timeout")));
}

void TestTrialExporter::t4ValidationNamesTheField_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("message");
    QTest::newRow("version") << QByteArray(R"({"schema_version": "1.0", "results": []})") << QStringLiteral("r.json: schema_version");
    QTest::newRow("no results") << QByteArray(R"({"schema_version": "1.0.0"})") << QStringLiteral("r.json: results: expected an array");
    QTest::newRow("no configuration")
        << QByteArray(R"({"schema_version": "1.0.0", "results": [{"times": {}, "invalidity": "correct", "correctness": 1}]})")
        << QStringLiteral("r.json: results[0].configuration: required object");
    QTest::newRow("bad invalidity")
        << QByteArray(R"({"schema_version": "1.0.0", "results": [{"configuration": {}, "times": {}, "invalidity": "broken", "correctness": 1}]})")
        << QStringLiteral("r.json: results[0].invalidity: required, one of");
    QTest::newRow("runtimes not an array")
        << QByteArray(R"({"schema_version": "1.0.0", "results": [{"configuration": {}, "times": {"runtimes": 3}, "invalidity": "correct", "correctness": 1}]})")
        << QStringLiteral("r.json: results[0].times.runtimes: expected an array");
    QTest::newRow("no correctness")
        << QByteArray(R"({"schema_version": "1.0.0", "results": [{"configuration": {}, "times": {}, "invalidity": "correct"}]})")
        << QStringLiteral("r.json: results[0].correctness: required number");
}

void TestTrialExporter::t4ValidationNamesTheField()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    auto checked = TrialExporter::validateT4(json, QStringLiteral("r.json"));
    QVERIFY(!checked.ok());
    QVERIFY2(checked.error().startsWith(message), qPrintable(checked.error()));
}
