#include "TestSupport.h"
#include "device/DeviceRegistry.h"
#include "search/GridStrategy.h"
#include "search/SearchHistory.h"
#include "space/ConfigSpace.h"

#include <QJsonObject>
#include <QTest>

#include <set>

using namespace dv;
using namespace dv::test;

namespace {

Parameter intParameter(const QString& name, std::initializer_list<int> values)
{
    Parameter p;
    p.name = name;
    p.type = ParameterType::Int;
    for (int v : values)
        p.values.append(v);
    return p;
}

// x in {1,2,4,8,16}, y in {1,2,4,8,16}, z in {0,1,2}: 75 combinations, of which those with
// x * y <= 32 and (z == 0 || x >= 4) are valid.
ConfigSpace constrainedSpace()
{
    auto space = ConfigSpace::create(QStringLiteral("constrained"),
                                     {intParameter(QStringLiteral("x"), {1, 2, 4, 8, 16}),
                                      intParameter(QStringLiteral("y"), {1, 2, 4, 8, 16}),
                                      intParameter(QStringLiteral("z"), {0, 1, 2})},
                                     {QStringLiteral("x * y <= 32"), QStringLiteral("z == 0 || x >= 4")});
    if (!space)
        qFatal("constrained space: %s", qPrintable(space.error()));
    return space.value();
}

// Runs a grid search to exhaustion with proposals of `batch`, evaluating each proposal at once.
std::vector<qint64> runToExhaustion(const ConfigSpace& space, int batch)
{
    GridStrategy grid;
    grid.initialize(space, 0);
    SearchHistory history(space.size());
    std::vector<qint64> visited;
    for (int round = 0; round <= space.size() + 1; ++round) {
        const std::vector<qint64> next = grid.propose(history, batch);
        if (next.empty())
            break;
        for (qint64 i : next) {
            visited.push_back(i);
            history.add(Observation{i, Status::Ok, double(i)});
        }
    }
    return visited;
}

} // namespace

class TestGridStrategy : public QObject {
    Q_OBJECT

private slots:
    void visitsEveryConfigurationOnceInOrder_data();
    void visitsEveryConfigurationOnceInOrder();
    void constrainedSpaceVisitsExactlyTheValidConfigurations();
    void skipsTakenIndices();
    void skipsIndicesTakenAfterTheCursorStarted();
    void respectsMaxCount_data();
    void respectsMaxCount();
    void emptyWhenExhausted();
    void emptyWhenEverythingIsTaken();
    void initializeRestartsFromTheBeginning();
};

void TestGridStrategy::visitsEveryConfigurationOnceInOrder_data()
{
    QTest::addColumn<QString>("dataset");
    QTest::addColumn<int>("batch");
    QTest::addColumn<qint64>("expectedSize");
    QTest::newRow("rmsnorm, one at a time") << QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096") << 1 << qint64(126);
    QTest::newRow("matmul, one at a time") << QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096") << 1 << qint64(384);
    QTest::newRow("matmul, batches of 7") << QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096") << 7 << qint64(384);
    QTest::newRow("pnpoly, batches of 64") << QStringLiteral("replay:kerneltuner/pnpoly_RTX_3090") << 64 << qint64(4092);
    QTest::newRow("convolution, one at a time") << QStringLiteral("replay:kerneltuner/convolution_A100") << 1 << qint64(4362);
}

void TestGridStrategy::visitsEveryConfigurationOnceInOrder()
{
    QFETCH(QString, dataset);
    QFETCH(int, batch);
    QFETCH(qint64, expectedSize);
    const ConfigSpace space = datasetSpace(dataset);
    QCOMPARE(space.size(), expectedSize);

    const std::vector<qint64> visited = runToExhaustion(space, batch);
    QCOMPARE(qint64(visited.size()), space.size());
    for (size_t i = 0; i < visited.size(); ++i)
        QCOMPARE(visited[i], qint64(i));
    // Enumeration order is increasing product ordinal (first parameter most significant).
    for (qint64 i = 1; i < space.size(); ++i)
        QVERIFY(space.ordinal(i - 1) < space.ordinal(i));
}

void TestGridStrategy::constrainedSpaceVisitsExactlyTheValidConfigurations()
{
    const ConfigSpace space = constrainedSpace();
    // The valid configurations by brute force, in product order (x most significant).
    QVector<QJsonObject> expected;
    for (int x : {1, 2, 4, 8, 16})
        for (int y : {1, 2, 4, 8, 16})
            for (int z : {0, 1, 2})
                if (x * y <= 32 && (z == 0 || x >= 4))
                    expected.append(QJsonObject{{QStringLiteral("x"), x}, {QStringLiteral("y"), y}, {QStringLiteral("z"), z}});
    QCOMPARE(space.productSize(), quint64(75));
    QCOMPARE(space.size(), qint64(expected.size()));

    const std::vector<qint64> visited = runToExhaustion(space, 1);
    QCOMPARE(int(visited.size()), int(expected.size()));
    for (int i = 0; i < expected.size(); ++i) {
        QCOMPARE(visited[size_t(i)], qint64(i));
        QCOMPARE(space.config(visited[size_t(i)]), expected[i]);
    }
}

void TestGridStrategy::skipsTakenIndices()
{
    const ConfigSpace space = constrainedSpace();
    SearchHistory history(space.size());
    history.add(Observation{0, Status::Ok, 1.0});
    history.add(Observation{2, Status::CompileError, 0});
    history.markPending(3);
    history.add(Observation{5, Status::Ok, 2.0});

    GridStrategy grid;
    grid.initialize(space, 0);
    const std::vector<qint64> first = grid.propose(history, 4);
    QCOMPARE(first, (std::vector<qint64>{1, 4, 6, 7}));

    // Everything after that, one at a time, skipping nothing else.
    std::vector<qint64> rest;
    for (qint64 i : first)
        history.add(Observation{i, Status::Ok, 1.0});
    while (true) {
        const auto next = grid.propose(history, 1);
        if (next.empty())
            break;
        QCOMPARE(int(next.size()), 1);
        rest.push_back(next.front());
        history.add(Observation{next.front(), Status::Ok, 1.0});
    }
    std::vector<qint64> expectedRest;
    for (qint64 i = 8; i < space.size(); ++i)
        expectedRest.push_back(i);
    QCOMPARE(rest, expectedRest);
    // Index 3 was only pending: it is never proposed.
    QCOMPARE(history.takenCount(), space.size());
    QVERIFY(!history.isEvaluated(3));
}

void TestGridStrategy::skipsIndicesTakenAfterTheCursorStarted()
{
    const ConfigSpace space = datasetSpace(QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"));
    GridStrategy grid;
    grid.initialize(space, 0);
    SearchHistory history(space.size());
    QCOMPARE(grid.propose(history, 2), (std::vector<qint64>{0, 1}));
    history.markPending(0);
    history.markPending(1);
    // Taken elsewhere (another strategy in a batch, or the store) before the grid gets there.
    history.markPending(3);
    history.add(Observation{4, Status::Ok, 1.0});
    QCOMPARE(grid.propose(history, 3), (std::vector<qint64>{2, 5, 6}));
}

void TestGridStrategy::respectsMaxCount_data()
{
    QTest::addColumn<int>("maxCount");
    QTest::addColumn<int>("alreadyEvaluated");
    QTest::addColumn<int>("expected");
    const int size = 126;
    QTest::newRow("0") << 0 << 0 << 0;
    QTest::newRow("1") << 1 << 0 << 1;
    QTest::newRow("5") << 5 << 0 << 5;
    QTest::newRow("all") << size << 0 << size;
    QTest::newRow("more than the space") << size + 50 << 0 << size;
    QTest::newRow("more than what is left") << 10 << size - 4 << 4;
}

void TestGridStrategy::respectsMaxCount()
{
    QFETCH(int, maxCount);
    QFETCH(int, alreadyEvaluated);
    QFETCH(int, expected);
    const ConfigSpace space = datasetSpace(QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096"));
    SearchHistory history(space.size());
    for (int i = 0; i < alreadyEvaluated; ++i)
        history.add(Observation{i, Status::Ok, 1.0});
    GridStrategy grid;
    grid.initialize(space, 0);
    const std::vector<qint64> out = grid.propose(history, maxCount);
    QCOMPARE(int(out.size()), expected);
    for (int i = 0; i < int(out.size()); ++i)
        QCOMPARE(out[size_t(i)], qint64(alreadyEvaluated + i));
    // Distinct and untaken.
    QCOMPARE(std::set<qint64>(out.begin(), out.end()).size(), out.size());
    for (qint64 i : out)
        QVERIFY(!history.isTaken(i));
}

void TestGridStrategy::emptyWhenExhausted()
{
    const ConfigSpace space = constrainedSpace();
    GridStrategy grid;
    grid.initialize(space, 0);
    SearchHistory history(space.size());
    const auto all = grid.propose(history, int(space.size()));
    QCOMPARE(qint64(all.size()), space.size());
    for (qint64 i : all)
        history.add(Observation{i, Status::Ok, 1.0});
    QVERIFY(grid.propose(history, 1).empty());
    QVERIFY(grid.propose(history, 100).empty());
    QVERIFY(grid.propose(history, 1).empty());
}

void TestGridStrategy::emptyWhenEverythingIsTaken()
{
    const ConfigSpace space = constrainedSpace();
    SearchHistory history(space.size());
    for (qint64 i = 0; i < space.size(); ++i) {
        if (i % 2)
            history.markPending(i);
        else
            history.add(Observation{i, Status::Timeout, 0});
    }
    GridStrategy grid;
    grid.initialize(space, 0);
    QVERIFY(grid.propose(history, 10).empty());
}

void TestGridStrategy::initializeRestartsFromTheBeginning()
{
    const ConfigSpace space = constrainedSpace();
    SearchHistory history(space.size());
    GridStrategy grid;
    grid.initialize(space, 0);
    QCOMPARE(grid.propose(history, 3), (std::vector<qint64>{0, 1, 2}));
    grid.initialize(space, 99);
    QCOMPARE(grid.propose(history, 3), (std::vector<qint64>{0, 1, 2}));
    QCOMPARE(grid.name(), QStringLiteral("grid"));
}

QTEST_GUILESS_MAIN(TestGridStrategy)
#include "tst_gridstrategy.moc"
