#include "session/Session.h"
#include "models/SessionListModel.h"
#include "models/TrialTableModel.h"

#include <QAbstractItemModelTester>
#include <QtTest>

#include <cmath>

using namespace dv;
using namespace dv::studio;

namespace {
Trial trial(int sequence, Status status, double ms)
{
    Trial t;
    t.sequence = sequence;
    t.config = QJsonObject{{QStringLiteral("block"), 32 * sequence}, {QStringLiteral("unroll"), sequence % 2 == 0}};
    t.measurement.status = status;
    t.measurement.objectiveMs = ms;
    if (status != Status::Ok)
        t.measurement.error = QStringLiteral("ptxas: too many registers");
    return t;
}
} // namespace

class TestStudioTrialTableModel : public QObject {
    Q_OBJECT
private slots:
    void trialsAndRoles()
    {
        TrialTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setTrials({QStringLiteral("block"), QStringLiteral("unroll")}, {trial(1, Status::Ok, 2.5)});
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.columnCount(), TrialTableModel::FirstParameterColumn + 2);
        model.appendTrials({trial(2, Status::CompileError, std::nan("")), trial(3, Status::Ok, 1.25)});
        QCOMPARE(model.rowCount(), 3);
        model.appendTrials({}); // no empty insertion signals
        QCOMPARE(model.rowCount(), 3);

        QCOMPARE(model.index(0, TrialTableModel::TimeColumn).data().toString(), QStringLiteral("2.5"));
        QCOMPARE(model.index(1, TrialTableModel::StatusColumn).data().toString(), QStringLiteral("compile_error"));
        QVERIFY(!model.index(1, TrialTableModel::TimeColumn).data().isValid());
        QCOMPARE(model.index(1, 0).data(Qt::ToolTipRole).toString(), QStringLiteral("ptxas: too many registers"));
        QCOMPARE(model.index(2, TrialTableModel::FirstParameterColumn).data().toInt(), 96);
        QCOMPARE(model.index(2, 0).data(TrialTableModel::ObjectiveRole).toDouble(), 1.25);
        QCOMPARE(model.index(1, 0).data(TrialTableModel::StatusRole).toInt(), int(Status::CompileError));
        QCOMPARE(model.index(2, 0).data(TrialTableModel::TrialRole).value<Trial>().sequence, 3);
        // Status colours differ, so failures stand out in the table.
        QVERIFY(model.index(0, TrialTableModel::StatusColumn).data(Qt::ForegroundRole)
                != model.index(1, TrialTableModel::StatusColumn).data(Qt::ForegroundRole));
        QCOMPARE(model.headerData(TrialTableModel::FirstParameterColumn + 1, Qt::Horizontal).toString(),
                 QStringLiteral("unroll"));
        model.setTrials({}, {});
        QCOMPARE(model.rowCount(), 0);
    }

    void sessionList()
    {
        SessionListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        SessionRecord a;
        a.id = 7;
        a.kernel = QStringLiteral("convolution_kernel");
        a.device.id = QStringLiteral("replay:kerneltuner/convolution_A100");
        a.device.name = QStringLiteral("NVIDIA A100-PCIE-40GB");
        a.strategy = QStringLiteral("random");
        a.trialCount = 50;
        a.bestMs = 0.5536;
        a.state = QStringLiteral("finished");
        SessionRecord b = a;
        b.id = 8;
        b.bestMs.reset();
        model.setSessions({a, b});
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(0, SessionListModel::BestColumn).data().toString(), QStringLiteral("0.5536"));
        QVERIFY(!model.index(1, SessionListModel::BestColumn).data().isValid());
        QCOMPARE(model.index(1, 0).data(SessionListModel::SessionIdRole).toLongLong(), qint64(8));
        QCOMPARE(model.index(0, SessionListModel::DeviceColumn).data().toString(), a.device.name);
    }
};

QTEST_MAIN(TestStudioTrialTableModel)
#include "tst_studiotrialtablemodel.moc"
