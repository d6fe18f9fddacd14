// A session on K device slots: up to K evaluations in flight, each trial committed as it
// finishes, no configuration measured twice, faults recorded per slot while the others go on,
// slots of another GPU refused, and a strategy that sees what the other slots are measuring.
#include "TestSupport.h"
#include "device/DeviceRegistry.h"
#include "device/WorkerDevice.h"
#include "search/BayesianStrategy.h"
#include "search/SearchHistory.h"
#include "session/ResultStore.h"
#include "session/Session.h"

#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

using namespace dv;

namespace {

const QString kWorker = QStringLiteral(DEJAVU_TEST_WORKER_PATH);
const QString kMatmul = QStringLiteral("replay:h100/triton_matmul_fp16_M4096_N4096_K4096");

std::vector<std::shared_ptr<Device>> openSlots(const QString& id, int count)
{
    auto opened = DeviceRegistry::openSlots(id, count);
    if (!opened)
        qFatal("cannot open %s: %s", qPrintable(id), qPrintable(opened.error()));
    std::vector<std::shared_ptr<Device>> out;
    for (auto& d : opened.value())
        out.push_back(std::shared_ptr<Device>(std::move(d)));
    return out;
}

/// A session on `slotDevices` (the first is the session's device), with the most evaluations in flight at once counted from its signals.
struct Run {
    QVector<Trial> stored;
    QSet<int> slotsUsed;
    int maxInFlight = 0;
    QString reason;
};

Run runOn(ResultStore& store, const std::vector<std::shared_ptr<Device>>& slotDevices, SessionOptions options)
{
    Run run;
    auto session = Session::create(store, slotDevices.front(), options);
    if (!session)
        qFatal("%s", qPrintable(session.error()));
    for (size_t i = 1; i < slotDevices.size(); ++i) {
        auto added = session.value()->addSlot(slotDevices[i]);
        if (!added)
            qFatal("%s", qPrintable(added.error()));
    }
    int inFlight = 0;
    QObject::connect(session.value().get(), &Session::slotStarted, [&](int, const QJsonObject&) {
        run.maxInFlight = std::max(run.maxInFlight, ++inFlight);
    });
    QObject::connect(session.value().get(), &Session::trialFinished, [&](const Trial& t) {
        if (!t.fromStore)
            --inFlight;
        run.slotsUsed.insert(t.slot);
    });
    auto ended = session.value()->run();
    if (!ended)
        qFatal("%s", qPrintable(ended.error()));
    run.reason = ended.value();
    run.stored = store.trials(session.value()->id()).value();
    return run;
}

QSet<QString> keys(const QVector<Trial>& trials)
{
    QSet<QString> out;
    for (const Trial& t : trials)
        out.insert(t.configKey);
    return out;
}

} // namespace

class TestParallelSession : public QObject {
    Q_OBJECT
private slots:
    // The fault-injecting test worker on four slots, every configuration of its space: each is
    // measured exactly once, the faults are recorded as what they are, and a crashed or hung
    // slot's worker is restarted while the others go on.
    void faultsOnFourSlotsEveryConfigurationOnce()
    {
        const QString id = QStringLiteral("worker:timeout=3 %1 --delay-ms 20 --segv-on '{\"BLOCK\":16,\"UNROLL\":1}' "
                                          "--hang-on '{\"BLOCK\":32,\"UNROLL\":2,\"VEC\":1}' --garbage-on '{\"BLOCK\":64,\"VEC\":4}' "
                                          "--wrong-on '{\"UNROLL\":8,\"VEC\":2}' --compile-error-on '{\"BLOCK\":256,\"VEC\":1}'")
                               .arg(kWorker);
        const auto slotDevices = openSlots(id, 4);
        QCOMPARE(int(slotDevices.size()), 4);
        auto store = ResultStore::open(QStringLiteral(":memory:"));
        QVERIFY(store);
        SessionOptions options{QStringLiteral("random"), {}, 5, 0, 0, 0};
        options.remeasureTop = 0;
        const Run run = runOn(*store.value(), slotDevices, options);
        const qint64 size = slotDevices.front()->workload().space.size();
        QCOMPARE(run.reason, QStringLiteral("exhausted"));
        QCOMPARE(qint64(run.stored.size()), size);
        QCOMPARE(qint64(keys(run.stored).size()), size); // none twice
        QCOMPARE(run.maxInFlight, 4);
        QVERIFY2(run.slotsUsed.size() == 4, qPrintable(QStringLiteral("slots used: %1").arg(run.slotsUsed.size())));
        QMap<QString, Status> expected{{QStringLiteral("{\"BLOCK\":16,\"UNROLL\":1,\"VEC\":1}"), Status::Crashed},
                                       {QStringLiteral("{\"BLOCK\":32,\"UNROLL\":2,\"VEC\":1}"), Status::Timeout},
                                       {QStringLiteral("{\"BLOCK\":64,\"UNROLL\":1,\"VEC\":4}"), Status::Crashed},
                                       {QStringLiteral("{\"BLOCK\":16,\"UNROLL\":8,\"VEC\":2}"), Status::WrongResult},
                                       {QStringLiteral("{\"BLOCK\":256,\"UNROLL\":1,\"VEC\":1}"), Status::CompileError},
                                       {QStringLiteral("{\"BLOCK\":128,\"UNROLL\":4,\"VEC\":4}"), Status::Ok}};
        int checked = 0;
        for (const Trial& t : run.stored) {
            if (expected.contains(t.configKey)) {
                QVERIFY2(t.measurement.status == expected.value(t.configKey),
                         qPrintable(t.configKey + QStringLiteral(": ") + statusName(t.measurement.status)));
                ++checked;
            }
        }
        QCOMPARE(checked, expected.size());
        // Sequence numbers are the commit order: 1..N without a gap.
        for (int i = 0; i < run.stored.size(); ++i)
            QCOMPARE(run.stored[i].sequence, i + 1);
    }

    // K replays with a pause: K evaluations in flight at once, and a budget is exact.
    void replaySlotsKeepKInFlightAndTheBudget_data()
    {
        QTest::addColumn<QString>("strategy");
        QTest::addColumn<int>("slotCount");
        QTest::newRow("bayes 4") << QStringLiteral("bayes") << 4;
        QTest::newRow("random 8") << QStringLiteral("random") << 8;
        QTest::newRow("genetic 3") << QStringLiteral("genetic") << 3;
        QTest::newRow("grid 2") << QStringLiteral("grid") << 2;
    }
    void replaySlotsKeepKInFlightAndTheBudget()
    {
        QFETCH(QString, strategy);
        QFETCH(int, slotCount);
        auto devices = openSlots(kMatmul, slotCount);
        for (auto& d : devices)
            dynamic_cast<ReplayDevice*>(d.get())->setSimulatedLatencyMs(30);
        auto store = ResultStore::open(QStringLiteral(":memory:"));
        QVERIFY(store);
        SessionOptions options{strategy, {}, 3, 37, 0, 0};
        const Run run = runOn(*store.value(), devices, options);
        QCOMPARE(run.reason, QStringLiteral("budget"));
        QCOMPARE(run.stored.size(), 37);
        QCOMPARE(keys(run.stored).size(), 37);
        QCOMPARE(run.maxInFlight, slotCount);
    }

    // One landscape never mixes GPUs: a slot of another GPU (or workload) is refused, naming both.
    void aSlotOfAnotherGpuIsRefused()
    {
        auto store = ResultStore::open(QStringLiteral(":memory:"));
        QVERIFY(store);
        auto a100 = test::openDevice(QStringLiteral("replay:kerneltuner/convolution_A100"));
        auto session = Session::create(*store.value(), a100, SessionOptions{QStringLiteral("random"), {}, 1, 5, 0, 0});
        QVERIFY(session);
        auto other = session.value()->addSlot(test::openDevice(QStringLiteral("replay:kerneltuner/convolution_MI250X")));
        QVERIFY(!other);
        QVERIFY2(other.error().contains(QStringLiteral("never mixes GPUs")) && other.error().contains(a100->info().name),
                 qPrintable(other.error()));
        QVERIFY(session.value()->addSlot(test::openDevice(QStringLiteral("replay:kerneltuner/convolution_A100"))));
        QCOMPARE(session.value()->slotCount(), 2);
    }

    // Slots named by a GPU list get one GPU each; a pool of two GPU types opens as two types.
    void gpuListsPinOneGpuPerSlot()
    {
        auto opened = DeviceRegistry::openSlots(QStringLiteral("worker:gpus=0-3 %1 --device-names A,A,B,B").arg(kWorker), 0);
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error()));
        QStringList names;
        for (const auto& d : opened.value())
            names.append(d->info().name);
        QCOMPARE(names, (QStringList{QStringLiteral("A"), QStringLiteral("A"), QStringLiteral("B"), QStringLiteral("B")}));
        // --slots must agree with the GPUs named, and one GPU never takes two slots.
        auto wrong = DeviceRegistry::openSlots(QStringLiteral("worker:gpus=0,1 %1").arg(kWorker), 3);
        QVERIFY(!wrong);
        QVERIFY2(wrong.error().contains(QStringLiteral("names 2 GPUs")), qPrintable(wrong.error()));
        auto twice = DeviceRegistry::openSlots(QStringLiteral("worker:gpus=0,1,1 %1").arg(kWorker), 0);
        QVERIFY(!twice);
        QVERIFY2(twice.error().contains(QStringLiteral("named twice")), qPrintable(twice.error()));
        auto listed = DeviceRegistry::open(QStringLiteral("worker:gpus=0-1 %1").arg(kWorker));
        QVERIFY(!listed);
        QVERIFY2(listed.error().contains(QStringLiteral("one slot per GPU")), qPrintable(listed.error()));
        QCOMPARE(WorkerDevice::parseGpuList(QStringLiteral("0-2,5")).value(), (QList<int>{0, 1, 2, 5}));
        QVERIFY(!WorkerDevice::parseGpuList(QStringLiteral("3-1")));
        QVERIFY(!WorkerDevice::parseGpuList(QStringLiteral("x")));
    }

    // What other slots measure is pending in the history: no strategy proposes it, and it is freed
    // again when its slot is lost.
    void pendingConfigurationsAreTakenUntilFreed()
    {
        SearchHistory h(10);
        h.markPending(3);
        h.markPending(7);
        QCOMPARE(h.pending(), (std::vector<qint64>{3, 7}));
        QCOMPARE(h.takenCount(), 2);
        h.add(Observation{3, Status::Ok, 1.0});
        QCOMPARE(h.pending(), (std::vector<qint64>{7}));
        h.unmarkPending(7);
        QVERIFY(!h.isTaken(7));
        QCOMPARE(h.takenCount(), 1);
        // Excluded (a refresh's hidden seeds): taken, yet neither pending nor observed.
        h.markExcluded(5);
        QVERIFY(h.isTaken(5) && !h.isEvaluated(5));
        QVERIFY(h.pending().empty());
        QCOMPARE(h.takenCount(), 2);
        // Bayes past its initial design never proposes a pending configuration.
        const ConfigSpace space = test::datasetSpace(kMatmul);
        BayesianStrategy bayes;
        bayes.initialize(space, 5);
        SearchHistory history(space.size());
        auto device = test::openDevice(kMatmul);
        for (int i = 0; i < 20; ++i) {
            const qint64 index = bayes.propose(history, 1).front();
            const Measurement m = device->evaluate(space.config(index));
            history.add(Observation{index, m.status, m.objectiveMs});
        }
        for (int i = 0; i < 3; ++i)
            history.markPending(bayes.propose(history, 1).front());
        const std::vector<qint64> next = bayes.propose(history, 4);
        QCOMPARE(int(next.size()), 4);
        for (qint64 index : next)
            QVERIFY(std::find(history.pending().begin(), history.pending().end(), index) == history.pending().end());
    }
};

QTEST_GUILESS_MAIN(TestParallelSession)
#include "tst_parallelsession.moc"
