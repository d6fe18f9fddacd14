#include "TestSupport.h"
#include "analysis/Landscape.h"
#include "analysis/PortableConfig.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace dv;

namespace {

// Six configurations: a in {1, 2, 3} x b in {0, 1}; token t of a GPU's row is configuration
// (a = 1 + t / 2, b = t % 2). A token is a time in ms, F (failed), ? (not measured by the GPU's
// session: a partial landscape) or x (not in the GPU's dataset at all).
const QVector<Parameter>& parameters()
{
    static const QVector<Parameter> p{{QStringLiteral("a"), ParameterType::Int, {1, 2, 3}},
                                      {QStringLiteral("b"), ParameterType::Int, {0, 1}}};
    return p;
}

int tokenOf(const QJsonObject& config)
{
    return (config.value(QLatin1String("a")).toInt() - 1) * 2 + config.value(QLatin1String("b")).toInt();
}

Landscape landscape(const QString& name, const QString& row)
{
    const QStringList tokens = row.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    Q_ASSERT(tokens.size() == 6);
    std::vector<quint64> ordinals;
    for (int t = 0; t < 6; ++t)
        if (tokens[t] != QLatin1String("x"))
            ordinals.push_back(quint64(t));
    Landscape l;
    l.name = name;
    l.space = ConfigSpace::fromOrdinals(QStringLiteral("t"), parameters(), ordinals).value();
    const bool partial = row.contains(QLatin1Char('?'));
    for (qint64 i = 0; i < l.space.size(); ++i) {
        const QString& token = tokens[tokenOf(l.space.config(i))];
        const bool ok = token != QLatin1String("F") && token != QLatin1String("?");
        l.status.push_back(ok ? Status::Ok : token == QLatin1String("F") ? Status::RuntimeError : Status::Invalid);
        l.objectiveMs.push_back(ok ? token.toDouble() : std::nan(""));
        if (partial)
            l.measured.push_back(token != QLatin1String("?"));
    }
    return l;
}

// The answer worked out the long way, from the rows alone: every configuration of the product,
// its slowdown on every GPU against the fastest number of that row, the rules of the header.
struct Brute {
    QString minimaxKey, geomeanKey;
    double minimaxWorst = 0, geomeanValue = 0;
    int qualified = 0, failed = 0, unknown = 0, candidates = 0;
};

Brute bruteForce(const QStringList& rows)
{
    std::vector<QStringList> tokens;
    std::vector<double> best;
    for (const QString& r : rows) {
        tokens.push_back(r.split(QLatin1Char(' '), Qt::SkipEmptyParts));
        double b = std::numeric_limits<double>::infinity();
        for (const QString& t : tokens.back()) {
            bool number = false;
            const double v = t.toDouble(&number);
            if (number)
                b = std::min(b, v);
        }
        best.push_back(b);
    }
    Brute out;
    double bestWorst = 0, bestWorstGeo = 0, bestGeo = 0, bestGeoWorst = 0;
    for (int t = 0; t < 6; ++t) {
        bool anywhere = false, failed = false, unknown = false;
        double worst = 0, logSum = 0;
        for (size_t g = 0; g < tokens.size(); ++g) {
            const QString& tok = tokens[g][t];
            anywhere = anywhere || tok != QLatin1String("x");
            if (tok == QLatin1String("F")) {
                failed = true;
            } else if (tok == QLatin1String("?") || tok == QLatin1String("x")) {
                unknown = true;
            } else {
                const double s = tok.toDouble() / best[g];
                worst = std::max(worst, s);
                logSum += std::log(s);
            }
        }
        out.candidates += anywhere ? 1 : 0;
        if (!anywhere)
            continue;
        if (failed) {
            ++out.failed;
            continue;
        }
        if (unknown) {
            ++out.unknown;
            continue;
        }
        ++out.qualified;
        const double geo = std::exp(logSum / double(tokens.size()));
        const QString key = ConfigSpace::keyOf(QJsonObject{{QStringLiteral("a"), 1 + t / 2}, {QStringLiteral("b"), t % 2}});
        if (out.minimaxKey.isEmpty() || worst < bestWorst || (worst == bestWorst && (geo < bestWorstGeo || (geo == bestWorstGeo && key < out.minimaxKey)))) {
            out.minimaxKey = key;
            bestWorst = worst;
            bestWorstGeo = geo;
        }
        if (out.geomeanKey.isEmpty() || geo < bestGeo || (geo == bestGeo && (worst < bestGeoWorst || (worst == bestGeoWorst && key < out.geomeanKey)))) {
            out.geomeanKey = key;
            bestGeo = geo;
            bestGeoWorst = worst;
        }
    }
    out.minimaxWorst = bestWorst;
    out.geomeanValue = bestGeo;
    return out;
}

QString keyOf(int a, int b) { return ConfigSpace::keyOf(QJsonObject{{QStringLiteral("a"), a}, {QStringLiteral("b"), b}}); }

} // namespace

class TestPortableConfig : public QObject {
    Q_OBJECT
private slots:
    // Each row: one GPU. `minimax` and `geomean` are worked out by hand for the reader; the test
    // also checks every number against the brute force above.
    void againstBruteForce_data()
    {
        QTest::addColumn<QStringList>("rows");
        QTest::addColumn<QString>("minimax");
        QTest::addColumn<QString>("geomean");
        // Minimax and geometric mean part: (1,0) is never worse than 1.5x, (2,0) is perfect on
        // two GPUs and 2x on the third.
        QTest::newRow("minimax vs geomean") << QStringList{QStringLiteral("1.5 9 1 9 9 9"), QStringLiteral("1.5 9 1 9 9 9"),
                                                           QStringLiteral("1.5 9 3 9 9 9")}
                                            << keyOf(1, 0) << keyOf(2, 0);
        // Equal worst slowdowns (2x): the smaller geometric mean wins; equal in both: the smaller key.
        QTest::newRow("ties") << QStringList{QStringLiteral("1 2 2 1 5 5"), QStringLiteral("2 1 1 2 5 5")} << keyOf(1, 0) << keyOf(1, 0);
        QTest::newRow("tie broken by geomean") << QStringList{QStringLiteral("1 5 1.2 7 7 7"), QStringLiteral("2 1 2 7 7 7"),
                                                              QStringLiteral("1.9 5 1 7 7 7")}
                                               << keyOf(2, 0) << keyOf(2, 0);
        // The fastest everywhere failed on one GPU: it is out, however good elsewhere.
        QTest::newRow("failure excludes") << QStringList{QStringLiteral("1 3 4 4 4 4"), QStringLiteral("F 3 4 4 4 4"),
                                                         QStringLiteral("1 3 4 4 4 4")}
                                          << keyOf(1, 1) << keyOf(1, 1);
        // A configuration the second GPU's session never measured is unknown there, not good.
        QTest::newRow("unmeasured excludes") << QStringList{QStringLiteral("1 3 4 4 4 4"), QStringLiteral("? 3 4 ? 4 4")}
                                             << keyOf(1, 1) << keyOf(1, 1);
        // Not in one dataset at all (another valid set): likewise excluded.
        QTest::newRow("missing from a dataset") << QStringList{QStringLiteral("1 3 4 2 4 4"), QStringLiteral("x 3 4 x 4 4"),
                                                               QStringLiteral("1 3 x 2 4 4")}
                                                << keyOf(1, 1) << keyOf(1, 1);
        // The GPU's own best does not qualify (it failed elsewhere) but still sets the scale.
        QTest::newRow("own best excluded") << QStringList{QStringLiteral("1 2 4 8 8 8"), QStringLiteral("F 2 2 8 8 8")} << keyOf(1, 1)
                                           << keyOf(1, 1);
        QTest::newRow("four GPUs") << QStringList{QStringLiteral("1 2 3 4 5 6"), QStringLiteral("6 5 4 3 2 1"),
                                                  QStringLiteral("3 1 2 6 5 4"), QStringLiteral("2 6 1 5 3 4")}
                                   << keyOf(2, 0) << keyOf(2, 0);
    }
    void againstBruteForce()
    {
        QFETCH(QStringList, rows);
        QFETCH(QString, minimax);
        QFETCH(QString, geomean);
        std::vector<Landscape> landscapes;
        for (int g = 0; g < rows.size(); ++g)
            landscapes.push_back(landscape(QStringLiteral("gpu%1").arg(g), rows[g]));
        auto p = PortableConfig::compute(landscapes);
        QVERIFY2(p.ok(), qPrintable(p.error()));
        const Brute b = bruteForce(rows);
        QCOMPARE(p->minimax().key, b.minimaxKey);
        QCOMPARE(p->geomean().key, b.geomeanKey);
        QCOMPARE(p->minimax().key, minimax);
        QCOMPARE(p->geomean().key, geomean);
        QVERIFY(std::abs(p->minimax().worst - b.minimaxWorst) < 1e-12);
        QVERIFY(std::abs(p->geomean().geomean - b.geomeanValue) < 1e-12);
        QCOMPARE(p->qualified(), b.qualified);
        QCOMPARE(p->excludedFailed(), b.failed);
        QCOMPARE(p->excludedUnknown(), b.unknown);
        QCOMPARE(p->candidates(), b.candidates);
        QCOMPARE(int(p->minimax().slowdown.size()), rows.size());
        QCOMPARE(p->minimax().worst, p->minimax().slowdown[size_t(p->minimax().worstGpu)]);
    }

    void refusals_data()
    {
        QTest::addColumn<QStringList>("rows");
        QTest::addColumn<QString>("message");
        QTest::newRow("one GPU") << QStringList{QStringLiteral("1 2 3 4 5 6")} << QStringLiteral("at least two landscapes");
        QTest::newRow("nothing ran ok everywhere")
            << QStringList{QStringLiteral("1 F ? 4 5 6"), QStringLiteral("F 2 3 F F F"), QStringLiteral("F ? 3 F F F")}
            << QStringLiteral("no configuration ran ok on all 3 GPUs (gpu0, gpu1, gpu2): of 6 configurations 5 failed on some GPU and 1 "
                              "were not measured on some GPU");
        QTest::newRow("a GPU with nothing ok") << QStringList{QStringLiteral("1 2 3 4 5 6"), QStringLiteral("F F F F F F")}
                                               << QStringLiteral("'gpu1' has no configuration that ran");
    }
    void refusals()
    {
        QFETCH(QStringList, rows);
        QFETCH(QString, message);
        std::vector<Landscape> landscapes;
        for (int g = 0; g < rows.size(); ++g)
            landscapes.push_back(landscape(QStringLiteral("gpu%1").arg(g), rows[g]));
        auto p = PortableConfig::compute(landscapes);
        QVERIFY(!p);
        QVERIFY2(p.error().contains(message), qPrintable(p.error()));
    }

    void exclusionTextNamesEachGpu()
    {
        auto p = PortableConfig::compute({landscape(QStringLiteral("A100"), QStringLiteral("1 F 3 4 5 6")),
                                          landscape(QStringLiteral("session 2"), QStringLiteral("1 2 ? ? 5 6"))});
        QVERIFY(p.ok());
        QCOMPARE(p->exclusionText(), QStringLiteral("3 of 6 configurations ran ok on every GPU; 1 excluded as failed somewhere "
                                                    "(failures: 1 on A100); 2 excluded as not measured on some GPU, unknown rather "
                                                    "than good (missing: 2 on session 2)"));
    }

    // The shipped convolution pair A100 / MI250X: several thousand configurations, checked
    // against a plain double loop over the two landscapes.
    void shippedPair()
    {
        const Landscape a = test::convolutionLandscape(QStringLiteral("A100"));
        const Landscape m = test::convolutionLandscape(QStringLiteral("MI250X"));
        auto p = PortableConfig::compute({a, m});
        QVERIFY2(p.ok(), qPrintable(p.error()));
        QHash<QString, qint64> inM;
        for (qint64 j = 0; j < m.size(); ++j)
            inM.insert(m.space.key(j), j);
        QString bestKey;
        double bestWorst = 0, bestGeo = 0;
        int qualified = 0;
        for (qint64 i = 0; i < a.size(); ++i) {
            const qint64 j = inM.value(a.space.key(i), -1);
            if (!a.isOk(i) || j < 0 || !m.isOk(j))
                continue;
            ++qualified;
            const double sa = a.objectiveMs[size_t(i)] / a.bestMs(), sm = m.objectiveMs[size_t(j)] / m.bestMs();
            const double worst = std::max(sa, sm), geo = std::sqrt(sa * sm);
            const QString key = a.space.key(i);
            if (bestKey.isEmpty() || worst < bestWorst || (worst == bestWorst && (geo < bestGeo || (geo == bestGeo && key < bestKey)))) {
                bestKey = key;
                bestWorst = worst;
                bestGeo = geo;
            }
        }
        QVERIFY(qualified > 1000);
        QCOMPARE(p->qualified(), qualified);
        QCOMPARE(p->minimax().key, bestKey);
        QVERIFY(std::abs(p->minimax().worst - bestWorst) < 1e-12);
        // Far better than carrying either GPU's own best across (20.4x and 2.85x, tst_portability).
        QVERIFY(p->minimax().worst < 2.0);
        QVERIFY(p->geomean().geomean <= std::sqrt(p->minimax().slowdown[0] * p->minimax().slowdown[1]) + 1e-12);
    }
};

QTEST_GUILESS_MAIN(TestPortableConfig)
#include "tst_portableconfig.moc"
