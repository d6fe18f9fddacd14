// Resuming a search: a strategy restored from its saved state (after initialize(), fed the stored
// history) proposes exactly what an uninterrupted one would. And the choice of bayes between its models
// with and without level columns, as the saved state records it.
#include "TestSupport.h"
#include "search/SearchHistory.h"
#include "search/StrategyFactory.h"
#include "space/ConfigSpace.h"

#include <QJsonDocument>
#include <QJsonArray>
#include <QtTest>

#include <algorithm>

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

// Block sizes 16, 32, ..., 256, tiles 1..4 and warps 1..8; run time smooth in tile and warps. With `apart`,
// only the block sizes that are multiples of 32 are fast (every other value), otherwise the time falls
// smoothly with the block size.
ConfigSpace blockSpace()
{
    Parameter block, tile, warps;
    block.name = QStringLiteral("block");
    for (int v = 16; v <= 256; v += 16)
        block.values.append(v);
    tile.name = QStringLiteral("tile");
    tile.values = {1, 2, 3, 4};
    warps.name = QStringLiteral("warps");
    warps.values = {1, 2, 4, 8};
    return ConfigSpace::create(QStringLiteral("blocks"), {block, tile, warps}, {}).value();
}

double blockTime(const ConfigSpace& space, qint64 index, bool apart)
{
    const auto v = space.valueIndices(index);
    const double smooth = 0.3 * (v[1] - 2.0) * (v[1] - 2.0) + 0.2 * (v[2] - 1.0) * (v[2] - 1.0);
    return std::exp(smooth + (apart ? (v[0] % 2 == 0 ? 2.0 : 0.0) : 0.1 * v[0]));
}

// The level-column choice ("levelChoice" of the saved state: 1 with, 0 without) after each of `budget`
// proposals of a default bayes search.
std::vector<int> levelChoices(bool apart, int budget, const QJsonObject& options = {})
{
    const ConfigSpace s = blockSpace();
    auto strategy = StrategyFactory::create(QStringLiteral("bayes"), options).value();
    strategy->initialize(s, 3);
    SearchHistory history(s.size());
    std::vector<int> choices;
    for (int i = 0; i < budget; ++i) {
        for (qint64 p : strategy->propose(history, 1))
            history.add(Observation{p, Status::Ok, blockTime(s, p, apart)});
        choices.push_back(strategy->saveState().value(QLatin1String("levelChoice")).toInt());
    }
    return choices;
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

    void levelColumnsOnlyWhereValuesActApart()
    {
        // Where every other block size is slow, the model with level columns predicts the
        // observations clearly better once there are enough of them, and is used from then on; where
        // the block size acts smoothly in its rank, the plain model is used nearly throughout (a few
        // early refits on a handful of points may go either way) and at the end.
        const std::vector<int> apart = levelChoices(true, 40);
        QCOMPARE(apart.back(), 1);
        QVERIFY(std::count(apart.end() - 10, apart.end(), 1) >= 8);
        const std::vector<int> smooth = levelChoices(false, 40);
        QCOMPARE(smooth.back(), 0);
        QVERIFY(std::count(smooth.begin(), smooth.end(), 1) <= 4);
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
