#include "TestSupport.h"
#include "analysis/Landscape.h"
#include "analysis/ParameterEffects.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"

#include <QtTest>

#include <cmath>

using namespace dv;

namespace {

Landscape shipped(const QString& gpu) { return dv::test::convolutionLandscape(gpu); }

bool near(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); }

} // namespace

class TestParameterEffects : public QObject {
    Q_OBJECT
private slots:
    // Reference values computed independently in Python from the raw cache files.
    void convolution_data()
    {
        QTest::addColumn<QString>("gpu");
        QTest::addColumn<QStringList>("topThree");
        QTest::addColumn<double>("topImportance");
        QTest::addColumn<QVector<double>>("tileX3"); // measured, ok, min, median, p80 of tile_size_x = 3
        QTest::newRow("A100") << QStringLiteral("A100")
                              << QStringList{QStringLiteral("use_shmem"), QStringLiteral("read_only"), QStringLiteral("use_padding")}
                              << 0.3456944015725119
                              << QVector<double>{1060, 1015, 0.9319039937108755, 1.9658240266144276, 3.984147231280804};
        QTest::newRow("W7800") << QStringLiteral("W7800")
                               << QStringList{QStringLiteral("tile_size_x"), QStringLiteral("block_size_x"), QStringLiteral("tile_size_y")}
                               << 0.21852826086814325
                               << QVector<double>{1060, 1036, 1.3099945597350597, 16.261853575706482, 26.35161918401718};
    }
    void convolution()
    {
        QFETCH(QString, gpu);
        QFETCH(QStringList, topThree);
        QFETCH(double, topImportance);
        QFETCH(QVector<double>, tileX3);
        const QVector<ParameterEffect> effects = ParameterEffects::fromLandscape(shipped(gpu));
        QCOMPARE(effects.size(), 10);
        const QVector<int> rank = ParameterEffects::ranking(effects);
        QCOMPARE((QStringList{effects[rank[0]].name, effects[rank[1]].name, effects[rank[2]].name}), topThree);
        QVERIFY(near(effects[rank[0]].importance, topImportance));
        const ValueEffect& v = effects[2].values[2];
        QCOMPARE(effects[2].name, QStringLiteral("tile_size_x"));
        QCOMPARE(v.value.toInt(), 3);
        QCOMPARE(v.measured, int(tileX3[0]));
        QCOMPARE(v.ok, int(tileX3[1]));
        QVERIFY(near(v.minMs, tileX3[2]));
        QVERIFY(near(v.medianMs, tileX3[3]));
        QVERIFY(near(v.p80Ms, tileX3[4]));
        // A parameter with a single value explains nothing.
        QCOMPARE(effects[7].name, QStringLiteral("use_cmem"));
        QCOMPARE(effects[7].importance, 0.0);
        for (const ParameterEffect& e : effects)
            QVERIFY(e.importance >= 0 && e.importance <= 1);
    }

    void fromTrialsCountsFailures()
    {
        const Landscape l = shipped(QStringLiteral("W7800"));
        QVector<Trial> trials;
        int failed = 0;
        for (qint64 i = 0; i < l.size() && trials.size() < 300; ++i) {
            Trial t;
            t.spaceIndex = i;
            t.configKey = l.space.key(i);
            t.config = l.space.config(i);
            t.measurement.status = l.status[size_t(i)];
            t.measurement.objectiveMs = l.objectiveMs[size_t(i)];
            failed += l.isOk(i) ? 0 : 1;
            trials.append(t);
        }
        const QVector<ParameterEffect> effects = ParameterEffects::fromTrials(l.space, trials);
        int measured = 0, ok = 0;
        for (const ValueEffect& v : effects[0].values) {
            measured += v.measured;
            ok += v.ok;
        }
        QCOMPARE(measured, 300);
        QCOMPARE(ok, 300 - failed);
    }

    // The box of a box plot: quartiles and extremes of the ok times of each value.
    void boxStatistics()
    {
        QVector<Parameter> params(1);
        params[0] = {QStringLiteral("a"), ParameterType::Int, {1, 2}};
        const ConfigSpace space = ConfigSpace::create(QStringLiteral("box"), params, {}).value();
        std::vector<ParameterEffects::Sample> samples;
        for (double ms : {10.0, 1.0, 4.0, 2.0})
            samples.push_back({0, Status::Ok, ms});
        samples.push_back({0, Status::RuntimeError, std::nan("")});
        samples.push_back({1, Status::Ok, 5.0});
        const QVector<ParameterEffect> effects = ParameterEffects::compute(space, samples);
        const ValueEffect& v = effects[0].values[0];
        // numpy.percentile([1, 2, 4, 10], [25, 75]) = 1.75, 5.5
        QCOMPARE(v.measured, 5);
        QCOMPARE(v.ok, 4);
        QVERIFY(near(v.q1Ms, 1.75));
        QVERIFY(near(v.q3Ms, 5.5));
        QCOMPARE(v.minMs, 1.0);
        QCOMPARE(v.maxMs, 10.0);
        QCOMPARE(v.okMs, (QVector<double>{1, 2, 4, 10}));
        const ValueEffect& w = effects[0].values[1];
        QCOMPARE(w.q1Ms, 5.0);
        QCOMPARE(w.maxMs, 5.0);
    }

    void empty()
    {
        const Landscape l = shipped(QStringLiteral("A100"));
        const QVector<ParameterEffect> effects = ParameterEffects::fromTrials(l.space, {});
        QCOMPARE(effects.size(), 10);
        QCOMPARE(effects[0].values[0].measured, 0);
        QVERIFY(std::isnan(effects[0].values[0].medianMs));
        QCOMPARE(effects[0].importance, 0.0);
    }
};

QTEST_GUILESS_MAIN(TestParameterEffects)
#include "tst_parametereffects.moc"
