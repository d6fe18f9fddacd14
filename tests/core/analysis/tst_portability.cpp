#include "TestSupport.h"
#include "analysis/Landscape.h"
#include "analysis/Portability.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"

#include <QtTest>

#include <cmath>

using namespace dv;

namespace {

Landscape shipped(const QString& gpu) { return dv::test::convolutionLandscape(gpu); }

// A deliberately naive O(n^2) Spearman: rank = 1 + (number smaller) + (number equal - 1) / 2.
double naiveSpearman(const std::vector<double>& x, const std::vector<double>& y)
{
    auto ranks = [](const std::vector<double>& v) {
        std::vector<double> r(v.size());
        for (size_t i = 0; i < v.size(); ++i) {
            double less = 0, equal = 0;
            for (double w : v) {
                less += w < v[i] ? 1 : 0;
                equal += w == v[i] ? 1 : 0;
            }
            r[i] = 1 + less + (equal - 1) / 2;
        }
        return r;
    };
    const auto rx = ranks(x), ry = ranks(y);
    double mx = 0, my = 0;
    for (size_t i = 0; i < rx.size(); ++i) {
        mx += rx[i] / double(rx.size());
        my += ry[i] / double(ry.size());
    }
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < rx.size(); ++i) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxy / std::sqrt(sxx * syy);
}

} // namespace

class TestPortability : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        for (const char* gpu : {"A100", "MI250X", "W7800"})
            m_landscapes.push_back(shipped(QString::fromLatin1(gpu)));
    }

    // Reference values computed independently in Python from the raw cache files.
    void slowdownMatrix_data()
    {
        QTest::addColumn<int>("i");
        QTest::addColumn<int>("j");
        QTest::addColumn<double>("expected");
        const double m[3][3] = {{1.0, 20.374769, 6.243087}, {2.852428, 1.0, 1.350636}, {1.980867, 5.175825, 1.0}};
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j)
                QTest::addRow("%d->%d", i, j) << i << j << m[i][j];
        }
    }
    void slowdownMatrix()
    {
        QFETCH(int, i);
        QFETCH(int, j);
        QFETCH(double, expected);
        auto p = Portability::compute(m_landscapes);
        QVERIFY2(p.ok(), qPrintable(p.error()));
        QCOMPARE(p->size(), 3);
        QVERIFY(std::abs(p->slowdown(i, j) - expected) < 1e-5);
        QCOMPARE(p->status(i, j), Status::Ok);
    }

    // The definition, recomputed here by scanning for the key: time_j(best_i) / min time_j.
    void slowdownMatchesDefinition()
    {
        auto p = Portability::compute(m_landscapes).value();
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) {
                const Landscape& lj = m_landscapes[size_t(j)];
                double onJ = std::nan(""), bestJ = HUGE_VAL;
                for (qint64 k = 0; k < lj.size(); ++k) {
                    if (lj.isOk(k))
                        bestJ = std::min(bestJ, lj.objectiveMs[size_t(k)]);
                    if (lj.space.key(k) == p.bestKey(i))
                        onJ = lj.objectiveMs[size_t(k)];
                }
                QCOMPARE(p.slowdown(i, j), onJ / bestJ);
            }
        }
        QCOMPARE(p.bestKey(0), m_landscapes[0].space.key(m_landscapes[0].bestIndex()));
    }

    void failureIsMarked()
    {
        // Make A100's best fail on W7800: the cell must say so instead of showing a number.
        std::vector<Landscape> ls = m_landscapes;
        const QString key = ls[0].space.key(ls[0].bestIndex());
        const qint64 k = ls[2].space.indexOf(ls[0].space.config(ls[0].bestIndex()));
        QVERIFY(k >= 0);
        ls[2].status[size_t(k)] = Status::CompileError;
        ls[2].objectiveMs[size_t(k)] = std::nan("");
        auto p = Portability::compute(ls).value();
        QVERIFY(std::isnan(p.slowdown(0, 2)));
        QCOMPARE(p.status(0, 2), Status::CompileError);
        QCOMPARE(p.slowdown(2, 2), 1.0);
    }

    void errors()
    {
        auto one = Portability::compute({m_landscapes[0]});
        QVERIFY(!one.ok());
        QVERIFY(one.error().contains(QStringLiteral("at least two")));
        auto device = DeviceRegistry::open(QStringLiteral("replay:kerneltuner/pnpoly_RTX_3090"));
        Landscape other = Landscape::fromCache(dynamic_cast<ReplayDevice*>(device.value().get())->cache(),
                                               QStringLiteral("pnpoly"));
        auto mixed = Portability::compute({m_landscapes[0], other});
        QVERIFY(!mixed.ok());
        QVERIFY2(mixed.error().contains(QStringLiteral("not the same kernel space")), qPrintable(mixed.error()));
    }

    void spearman_data()
    {
        QTest::addColumn<int>("a");
        QTest::addColumn<int>("b");
        QTest::addColumn<double>("rho");
        QTest::addColumn<int>("count");
        QTest::newRow("A100-MI250X") << 0 << 1 << 0.46285589938433186 << 4201;
        QTest::newRow("A100-W7800") << 0 << 2 << 0.07994679791067467 << 4130;
        QTest::newRow("MI250X-W7800") << 1 << 2 << 0.6150514560321722 << 4246;
    }
    void spearman()
    {
        QFETCH(int, a);
        QFETCH(int, b);
        QFETCH(double, rho);
        QFETCH(int, count);
        const RankCorrelation r = Portability::spearman(m_landscapes[size_t(a)], m_landscapes[size_t(b)]);
        QCOMPARE(r.count, count);
        QVERIFY2(std::abs(r.rho - rho) < 1e-9, qPrintable(QString::number(r.rho, 'g', 17)));
    }

    void spearmanWithTiesMatchesNaive()
    {
        const std::vector<double> x = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
        const std::vector<double> y = {2, 7, 1, 8, 2, 8, 1, 8, 2, 8};
        QVERIFY(std::abs(Portability::spearman(x, y).rho - naiveSpearman(x, y)) < 1e-12);
        QCOMPARE(Portability::spearman(std::vector<double>{1, 2, 3}, std::vector<double>{3, 2, 1}).rho, -1.0);
        QVERIFY(std::isnan(Portability::spearman(std::vector<double>{1}, std::vector<double>{1}).rho));
        QVERIFY(std::isnan(Portability::spearman(std::vector<double>{1, 1}, std::vector<double>{1, 2}).rho));
    }

private:
    std::vector<Landscape> m_landscapes;
};

QTEST_GUILESS_MAIN(TestPortability)
#include "tst_portability.moc"
