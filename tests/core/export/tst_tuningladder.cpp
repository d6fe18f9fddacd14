#include "export/TuningLadder.h"

#include "device/DeviceRegistry.h"
#include "device/KernelTunerCache.h"
#include "device/ReplayDevice.h"

#include <QTest>

#include <cmath>
#include <map>

using namespace dv;

namespace {

const qint64 kRows[] = {1, 16, 256, 4096, 32768};

/// The shipped recorded RMSNorm landscape for `rows` (N = 4096, H100).
const KernelTunerCache& rmsnorm(qint64 rows)
{
    static std::map<qint64, std::unique_ptr<Device>> devices;
    auto& d = devices[rows];
    if (!d) {
        const QString id = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows%1_N4096").arg(rows);
        auto opened = DeviceRegistry::open(id);
        if (!opened)
            qFatal("%s", qPrintable(opened.error()));
        d = std::move(opened.value());
    }
    return dynamic_cast<ReplayDevice*>(d.get())->cache();
}

/// Every recorded configuration of a landscape as trials; `limit` keeps only the first ones
/// (a session that saw part of the space).
QVector<Trial> trialsOf(const KernelTunerCache& cache, qint64 limit = -1)
{
    QVector<Trial> out;
    for (qint64 i = 0; i < cache.space.size() && (limit < 0 || i < limit); ++i) {
        Trial t;
        t.sequence = int(i) + 1;
        t.config = cache.space.config(i);
        t.measurement = cache.measurements[size_t(i)];
        out.append(t);
    }
    return out;
}

// Independent of TuningLadder: plain scans of the recorded entries.
double bestOf(const KernelTunerCache& cache, qint64 limit = -1)
{
    double best = INFINITY;
    for (qint64 i = 0; i < cache.space.size() && (limit < 0 || i < limit); ++i)
        if (cache.measurements[size_t(i)].isOk())
            best = std::min(best, cache.measurements[size_t(i)].objectiveMs);
    return best;
}

QJsonObject bestConfigOf(const KernelTunerCache& cache)
{
    double best = INFINITY;
    QJsonObject config;
    for (qint64 i = 0; i < cache.space.size(); ++i) {
        const Measurement& m = cache.measurements[size_t(i)];
        if (m.isOk() && m.objectiveMs < best) {
            best = m.objectiveMs;
            config = cache.space.config(i);
        }
    }
    return config;
}

double timeOf(const KernelTunerCache& cache, const QJsonObject& config)
{
    for (qint64 i = 0; i < cache.space.size(); ++i)
        if (cache.space.config(i) == config)
            return cache.measurements[size_t(i)].isOk() ? cache.measurements[size_t(i)].objectiveMs : INFINITY;
    return NAN;
}

const QString kH100 = QStringLiteral("NVIDIA H100 80GB HBM3");

} // namespace

class TestTuningLadder : public QObject {
    Q_OBJECT
private slots:
    void powersOfTwo();
    void problemValue();
    void bestPerKey();
    void nearestCoverageOnRmsnorm();
    void exactCoverageMissesUntunedKeys();
    void partialSessionIsSlowerThanTheLandscape();
    void refusals();
};

void TestTuningLadder::powersOfTwo()
{
    QCOMPARE(TuningLadder::powersOfTwo(1, 16), (QVector<qint64>{1, 2, 4, 8, 16}));
    QCOMPARE(TuningLadder::powersOfTwo(3, 20), (QVector<qint64>{4, 8, 16}));
}

void TestTuningLadder::problemValue()
{
    QCOMPARE(TuningLadder::problemValue(QStringLiteral("[16, 4096]"), 0).value(), qint64(16));
    QCOMPARE(TuningLadder::problemValue(QStringLiteral("[16, 4096]"), 1).value(), qint64(4096));
    QCOMPARE(TuningLadder::problemValue(QStringLiteral("4096"), 0).value(), qint64(4096));
    auto bad = TuningLadder::problemValue(QStringLiteral("[16, 4096]"), 2);
    QVERIFY(!bad);
    QCOMPARE(bad.error(), QStringLiteral("problem '[16, 4096]' has no value at position 2"));
}

void TestTuningLadder::bestPerKey()
{
    TuningLadder ladder;
    for (qint64 rows : kRows)
        QVERIFY(ladder.addTrials(rows, trialsOf(rmsnorm(rows)), kH100, QStringLiteral("rows %1").arg(rows)));
    const auto rungs = ladder.rungs();
    QCOMPARE(rungs.size(), 5);
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(rungs[i].key, kRows[i]);
        QCOMPARE(rungs[i].measurement.objectiveMs, bestOf(rmsnorm(kRows[i])));
        QCOMPARE(rungs[i].config, bestConfigOf(rmsnorm(kRows[i])));
        QCOMPARE(rungs[i].evaluations, int(rmsnorm(kRows[i]).space.size()));
    }
}

void TestTuningLadder::nearestCoverageOnRmsnorm()
{
    // Tune three rungs; keep all five landscapes to measure what the gaps cost.
    const QVector<qint64> tuned{1, 256, 32768};
    TuningLadder ladder;
    for (qint64 rows : tuned)
        QVERIFY(ladder.addTrials(rows, trialsOf(rmsnorm(rows)), kH100, QStringLiteral("rows %1").arg(rows)));
    for (qint64 rows : kRows)
        QVERIFY(ladder.addLandscape(rows, Landscape::fromCache(rmsnorm(rows), QString::number(rows))));

    const auto targets = TuningLadder::powersOfTwo(1, 32768);
    const auto rows = ladder.coverage(targets, TuningLadder::Lookup::Nearest);
    QCOMPARE(rows.size(), 16);
    for (const CoverageRow& r : rows) {
        // vLLM's choice: the smallest |key - target|, the smaller key on ties.
        qint64 expectedKey = tuned.first();
        for (qint64 k : tuned)
            if (std::llabs(k - r.target) < std::llabs(expectedKey - r.target))
                expectedKey = k;
        QVERIFY(r.usedKey);
        QCOMPARE(*r.usedKey, expectedKey);
        if (std::find(std::begin(kRows), std::end(kRows), r.target) != std::end(kRows)) {
            const double used = timeOf(rmsnorm(r.target), bestConfigOf(rmsnorm(expectedKey)));
            const double best = bestOf(rmsnorm(r.target));
            QCOMPARE(r.usedMs, used);
            QCOMPARE(r.bestMs, best);
            QCOMPARE(r.slowdown, used / best);
            QVERIFY(r.slowdown >= 1.0);
        } else {
            QVERIFY(std::isnan(r.slowdown));
        }
    }
    // The tuned keys themselves lose nothing; the untuned landscape keys are spelled out.
    auto at = [&](qint64 t) { return *std::find_if(rows.begin(), rows.end(), [t](const CoverageRow& r) { return r.target == t; }); };
    QCOMPARE(at(1).slowdown, 1.0);
    QCOMPARE(at(256).slowdown, 1.0);
    QCOMPARE(*at(16).usedKey, qint64(1));
    QCOMPARE(*at(4096).usedKey, qint64(256));
    QCOMPARE(*at(128).usedKey, qint64(1));   // |128-1| = 127 < |256-128| = 128
    QCOMPARE(*at(512).usedKey, qint64(256));
    QVERIFY(!TuningLadder::coverageTable(rows).isEmpty());
}

void TestTuningLadder::exactCoverageMissesUntunedKeys()
{
    TuningLadder ladder;
    QVERIFY(ladder.addTrials(16, trialsOf(rmsnorm(16)), kH100, QStringLiteral("rows 16")));
    const auto rows = ladder.coverage({8, 16, 32}, TuningLadder::Lookup::Exact);
    QVERIFY(!rows[0].usedKey);
    QCOMPARE(rows[0].note, QStringLiteral("no entry: the consumer tunes at start-up"));
    QCOMPARE(*rows[1].usedKey, qint64(16));
    QCOMPARE(rows[1].slowdown, 1.0); // no landscape: compared with its own tuned best
    QVERIFY(!rows[2].usedKey);
}

void TestTuningLadder::partialSessionIsSlowerThanTheLandscape()
{
    // A session that saw the first 20 configurations of rows=4096 finds a worse best than the
    // full landscape; the coverage says by how much.
    TuningLadder ladder;
    QVERIFY(ladder.addTrials(4096, trialsOf(rmsnorm(4096), 20), kH100, QStringLiteral("partial")));
    QVERIFY(ladder.addLandscape(4096, Landscape::fromCache(rmsnorm(4096), QStringLiteral("4096"))));
    const auto rows = ladder.coverage({4096}, TuningLadder::Lookup::Nearest);
    const double expected = bestOf(rmsnorm(4096), 20) / bestOf(rmsnorm(4096));
    QCOMPARE(rows[0].slowdown, expected);
    QVERIFY(expected > 1.0);

    // A second session of the same key that finds a faster entry replaces it.
    QVERIFY(ladder.addTrials(4096, trialsOf(rmsnorm(4096)), kH100, QStringLiteral("full")));
    QCOMPARE(ladder.rungs().first().origin, QStringLiteral("full"));
    QCOMPARE(ladder.coverage({4096}, TuningLadder::Lookup::Nearest).first().slowdown, 1.0);
}

void TestTuningLadder::refusals()
{
    TuningLadder ladder;
    QVERIFY(ladder.addTrials(16, trialsOf(rmsnorm(16)), kH100, QStringLiteral("session 1")));
    auto other = ladder.addTrials(32, trialsOf(rmsnorm(16)), QStringLiteral("NVIDIA A100-SXM4-80GB"), QStringLiteral("session 2"));
    QVERIFY(!other);
    QCOMPARE(other.error(), QStringLiteral("session 2 was measured on 'NVIDIA A100-SXM4-80GB' but the ladder holds 'NVIDIA "
                                           "H100 80GB HBM3': one ladder per GPU"));

    // Failed and unverified trials never become a rung.
    QVector<Trial> bad = trialsOf(rmsnorm(16), 3);
    bad[0].measurement = Measurement::failure(Status::CompileError, QStringLiteral("out of resources"));
    bad[1].measurement.extra.insert(QStringLiteral("verified"), false);
    bad[2].measurement = Measurement::failure(Status::WrongResult, QString());
    auto none = ladder.addTrials(64, bad, kH100, QStringLiteral("session 3"));
    QVERIFY(!none);
    QCOMPARE(none.error(), QStringLiteral("session 3: no ok, verified configuration for key 64 (3 trials)"));
    QCOMPARE(ladder.rungs().size(), 1);
}

QTEST_GUILESS_MAIN(TestTuningLadder)
#include "tst_tuningladder.moc"
