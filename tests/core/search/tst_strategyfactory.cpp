// The contract every search strategy keeps, checked for each one the factory knows.
#include "TestSupport.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "search/SearchHistory.h"
#include "search/StrategyFactory.h"
#include "space/ConfigSpace.h"

#include <QtTest>

#include <set>

using namespace dv;

namespace {

ConfigSpace dataset(const QString& id)
{
    auto device = DeviceRegistry::open(id);
    return device.value()->workload().space;
}

ConfigSpace constrained(int values = 5)
{
    return test::layoutSpace(QStringLiteral("c"), {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}, values, 1,
                             {QStringLiteral("a * b <= 64"), QStringLiteral("layout != \"tile\" || c >= 4")});
}

// Objective from a fixed smooth function; about a fifth of the space fails.
Observation observe(const ConfigSpace& space, qint64 index)
{
    const auto v = space.valueIndices(index);
    double x = 1.0;
    for (size_t i = 0; i < v.size(); ++i)
        x += (v[i] - 1.5) * (v[i] - 1.5) * double(i + 1);
    const bool fails = (index * 7919) % 5 == 0;
    return Observation{index, fails ? Status::CompileError : Status::Ok, fails ? 0.0 : x};
}

std::vector<qint64> runSearch(const QString& name, const ConfigSpace& space, quint64 seed, int budget, int batch,
                              QString* problem)
{
    auto strategy = StrategyFactory::create(name).value();
    strategy->initialize(space, seed);
    SearchHistory history(space.size());
    std::vector<qint64> order;
    while (int(order.size()) < budget) {
        const int ask = std::min(batch, budget - int(order.size()));
        const auto proposals = strategy->propose(history, ask);
        if (proposals.empty())
            break;
        if (int(proposals.size()) > ask)
            *problem = QStringLiteral("more proposals than asked for");
        std::set<qint64> distinct(proposals.begin(), proposals.end());
        if (distinct.size() != proposals.size())
            *problem = QStringLiteral("duplicate in a batch");
        for (qint64 p : proposals) {
            if (p < 0 || p >= space.size())
                *problem = QStringLiteral("index %1 outside the space").arg(p);
            else if (history.isTaken(p))
                *problem = QStringLiteral("index %1 proposed twice").arg(p);
        }
        if (!problem->isEmpty())
            return order;
        for (qint64 p : proposals)
            history.markPending(p);
        for (qint64 p : proposals) {
            history.add(observe(space, p));
            order.push_back(p);
        }
    }
    return order;
}

} // namespace

class TestStrategyFactory : public QObject {
    Q_OBJECT
private slots:
    void unknownStrategy()
    {
        auto s = StrategyFactory::create(QStringLiteral("annealing"));
        QVERIFY(!s);
        QVERIFY(s.error().contains(QLatin1String("unknown strategy 'annealing'")));
        for (const QString& n : StrategyFactory::names())
            QVERIFY(s.error().contains(n));
    }

    void contract_data()
    {
        QTest::addColumn<QString>("strategy");
        QTest::addColumn<QString>("space");
        QTest::addColumn<int>("batch");
        for (const QString& name : StrategyFactory::names()) {
            for (const char* space : {"constrained", "replay:h100/triton_matmul_fp16_M4096_N4096_K4096",
                                      "replay:kerneltuner/convolution_A100"}) {
                for (int batch : {1, 4}) {
                    QTest::addRow("%s/%s/batch%d", qPrintable(name), space, batch)
                        << name << QString::fromLatin1(space) << batch;
                }
            }
        }
    }

    // Never an index outside the space, never a configuration twice, no duplicates in a batch,
    // and the same seed gives the same search.
    void contract()
    {
        QFETCH(QString, strategy);
        QFETCH(QString, space);
        QFETCH(int, batch);
        const ConfigSpace s = space == QLatin1String("constrained") ? constrained() : dataset(space);
        const int budget = int(std::min<qint64>(s.size(), strategy == QLatin1String("bayes") ? 30 : 150));
        QString problem;
        const auto first = runSearch(strategy, s, 11, budget, batch, &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(int(first.size()), budget);
        const auto again = runSearch(strategy, s, 11, budget, batch, &problem);
        QVERIFY(first == again);
        const auto other = runSearch(strategy, s, 12, budget, batch, &problem);
        if (strategy != QLatin1String("grid"))
            QVERIFY(first != other);
    }

    void exhaustsSmallSpace_data()
    {
        QTest::addColumn<QString>("strategy");
        for (const QString& name : StrategyFactory::names())
            QTest::newRow(qPrintable(name)) << name;
    }

    // Run to the end, every strategy visits every valid configuration exactly once.
    void exhaustsSmallSpace()
    {
        QFETCH(QString, strategy);
        const ConfigSpace s = constrained(3);
        QString problem;
        const auto order = runSearch(strategy, s, 3, int(s.size()) + 10, 1, &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(qint64(order.size()), s.size());
        QCOMPARE(qint64(std::set<qint64>(order.begin(), order.end()).size()), s.size());
    }
};

QTEST_GUILESS_MAIN(TestStrategyFactory)
#include "tst_strategyfactory.moc"
