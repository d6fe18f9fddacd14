// Resuming a search: a strategy restored from its saved state (after initialize(), fed the stored
// history) proposes exactly what an uninterrupted one would.
#include "ConfigSpace.h"
#include "SearchHistory.h"
#include "StrategyFactory.h"
#include "TestSupport.h"

#include <QJsonDocument>
#include <QtTest>

using namespace dv;

namespace {

ConfigSpace space()
{
    return test::layoutSpace(QStringLiteral("resume"), {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d")},
                             6, 1, {QStringLiteral("a * b <= 256")});
}

// A smooth objective with an interaction, and a region that fails (like a shared-memory limit).
Observation observe(const ConfigSpace& space, qint64 index)
{
    const auto v = space.valueIndices(index);
    if (v[2] + v[3] >= 9)
        return Observation{index, Status::RuntimeError, 0.0};
    double x = 1.0;
    for (size_t i = 0; i < 4; ++i)
        x += (v[i] - 2.0) * (v[i] - 2.0) * double(i + 1);
    x += 0.7 * v[0] * v[4];
    return Observation{index, Status::Ok, std::exp(0.3 * x)};
}

// Proposes in batches of `batch` until `budget` evaluations; at `stopAt` evaluations (if >= 0) the
// strategy is replaced by a fresh one that restores the saved state through its JSON text.
std::vector<qint64> search(const QString& name, const ConfigSpace& s, int budget, int batch, int stopAt,
                           bool* restored)
{
    auto strategy = StrategyFactory::create(name).value();
    strategy->initialize(s, 7);
    SearchHistory history(s.size());
    std::vector<qint64> order;
    while (int(order.size()) < budget) {
        if (int(order.size()) == stopAt) {
            const QByteArray text = QJsonDocument(strategy->saveState()).toJson(QJsonDocument::Compact);
            strategy = StrategyFactory::create(name).value();
            strategy->initialize(s, 7);
            *restored = strategy->restoreState(QJsonDocument::fromJson(text).object());
        }
        const auto proposals = strategy->propose(history, std::min(batch, budget - int(order.size())));
        if (proposals.empty())
            break;
        for (qint64 p : proposals)
            history.markPending(p);
        for (qint64 p : proposals) {
            history.add(observe(s, p));
            order.push_back(p);
        }
    }
    return order;
}

} // namespace

class TestBayesianStrategy : public QObject {
    Q_OBJECT
private slots:
    void resumeReproducesUninterruptedRun_data()
    {
        QTest::addColumn<QString>("strategy");
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("stopAt");
        for (const QString& name : StrategyFactory::names()) {
            QTest::addRow("%s/early", qPrintable(name)) << name << 1 << 9;
            // Past 40 observations the bayes hyper-parameters are refitted only every few proposals,
            // so the restored warm start and refit counter decide the model.
            QTest::addRow("%s/late", qPrintable(name)) << name << 1 << 47;
            QTest::addRow("%s/batch3", qPrintable(name)) << name << 3 << 24;
        }
    }

    void resumeReproducesUninterruptedRun()
    {
        QFETCH(QString, strategy);
        QFETCH(int, batch);
        QFETCH(int, stopAt);
        const ConfigSpace s = space();
        const int budget = 60;
        bool unused = false;
        const auto uninterrupted = search(strategy, s, budget, batch, -1, &unused);
        QCOMPARE(int(uninterrupted.size()), budget);
        bool restored = false;
        const auto resumed = search(strategy, s, budget, batch, stopAt, &restored);
        QVERIFY(restored);
        QCOMPARE(resumed, uninterrupted);
    }

    void bayesStateIsNotEmptyAndRejectsAnotherSpace()
    {
        const ConfigSpace s = space();
        auto strategy = StrategyFactory::create(QStringLiteral("bayes")).value();
        strategy->initialize(s, 1);
        SearchHistory history(s.size());
        for (int i = 0; i < 12; ++i)
            for (qint64 p : strategy->propose(history, 1))
                history.add(observe(s, p));
        const QJsonObject state = strategy->saveState();
        QVERIFY(state.contains(QLatin1String("engine")));
        QVERIFY(!state.value(QLatin1String("gpHyper")).toArray().isEmpty());

        Parameter p;
        p.name = QStringLiteral("x");
        p.values = {1, 2, 3};
        const ConfigSpace other = ConfigSpace::create(QStringLiteral("other"), {p}, {}).value();
        auto fresh = StrategyFactory::create(QStringLiteral("bayes")).value();
        fresh->initialize(other, 1);
        QVERIFY(!fresh->restoreState(state));
        fresh->initialize(s, 1);
        QVERIFY(!fresh->restoreState(QJsonObject{{QStringLiteral("strategy"), QStringLiteral("bayes")}}));
        QVERIFY(fresh->restoreState(state));
    }
};

QTEST_GUILESS_MAIN(TestBayesianStrategy)
#include "tst_bayesianstrategy.moc"
