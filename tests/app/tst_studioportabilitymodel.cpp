#include "TestSupport.h"
#include "analysis/Landscape.h"
#include "analysis/Portability.h"
#include "analysis/TrialLandscape.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "models/PortabilityModel.h"

#include <QAbstractItemModelTester>
#include <QtTest>

#include <cmath>

using namespace dv;
using namespace dv::studio;

namespace {

Landscape shipped(const QString& gpu) { return dv::test::convolutionLandscape(gpu); }

} // namespace

class TestStudioPortabilityModel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        for (const char* gpu : {"A100", "MI250X", "W7800"})
            m_landscapes.push_back(shipped(QString::fromLatin1(gpu)));
    }

    // Every cell of the model is core's number, formatted; nothing is recomputed.
    void matrixEqualsCore()
    {
        const Portability core = Portability::compute(m_landscapes).value();
        PortabilityModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        model.setMatrix(core);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), 3);
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) {
                const QModelIndex cell = model.index(i, j);
                QCOMPARE(cell.data(PortabilityModel::SlowdownRole).toDouble(), core.slowdown(i, j));
                QCOMPARE(cell.data(PortabilityModel::StatusRole).toInt(), int(core.status(i, j)));
                QCOMPARE(cell.data(PortabilityModel::BestKeyRole).toString(), core.bestKey(i));
                QVERIFY(cell.data(Qt::ToolTipRole).toString().contains(core.bestKey(i)));
                QVERIFY(cell.data(Qt::BackgroundRole).value<QColor>().isValid());
            }
            QCOMPARE(model.index(i, i).data().toString(), QStringLiteral("1.00x"));
        }
        QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("20.4x"));
        QCOMPARE(model.index(1, 2).data().toString(), QStringLiteral("1.35x"));
        QCOMPARE(model.headerData(0, Qt::Vertical).toString(), QStringLiteral("tuned on A100"));
        QCOMPARE(model.headerData(1, Qt::Horizontal).toString(), QStringLiteral("on MI250X"));
        // Worse slowdowns are drawn differently from a perfect carry-over.
        QVERIFY(model.index(0, 1).data(Qt::BackgroundRole) != model.index(0, 0).data(Qt::BackgroundRole));
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    // A best configuration that failed on another GPU shows the failure, not a number.
    void failureShowsStatus_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("text");
        QTest::newRow("compile error") << int(Status::CompileError) << QStringLiteral("compile_error");
        QTest::newRow("missing") << int(Status::Invalid) << QStringLiteral("not in dataset");
    }
    void failureShowsStatus()
    {
        QFETCH(int, status);
        QFETCH(QString, text);
        std::vector<Landscape> ls = {m_landscapes[0], m_landscapes[1]};
        const qint64 k = ls[1].space.indexOf(ls[0].space.config(ls[0].bestIndex()));
        QVERIFY(k >= 0);
        ls[1].status[size_t(k)] = Status(status);
        ls[1].objectiveMs[size_t(k)] = std::nan("");
        PortabilityModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setMatrix(Portability::compute(ls).value());
        const QModelIndex cell = model.index(0, 1);
        QVERIFY(std::isnan(cell.data(PortabilityModel::SlowdownRole).toDouble()));
        QCOMPARE(cell.data(PortabilityModel::StatusRole).toInt(), status);
        QCOMPARE(cell.data().toString(), text);
        QVERIFY(cell.data(Qt::ToolTipRole).toString().contains(text));
    }

    // Sessions measure part of a space: a best configuration the other session never ran is
    // "not measured on <it>", in no failure colour (it read "not in dataset"); a configuration a
    // session did run and that was rejected keeps its status.
    void sessionsSayNotMeasured()
    {
        const Landscape& a100 = m_landscapes[0];
        const ConfigSpace& space = a100.space;
        // Session X ran the A100's best and 40 others; session Y half of those, not X's best.
        const qint64 best = a100.bestIndex();
        QVector<Trial> x, y;
        for (qint64 i = 0, added = 0; i < space.size() && added < 40; ++i) {
            if (!a100.isOk(i))
                continue;
            Trial t;
            t.spaceIndex = i;
            t.config = space.config(i);
            t.configKey = space.key(i);
            t.measurement.status = Status::Ok;
            t.measurement.objectiveMs = a100.objectiveMs[size_t(i)];
            x.append(t);
            if (added % 2 == 0 && i != best)
                y.append(t);
            ++added;
        }
        Trial b;
        b.spaceIndex = best;
        b.config = space.config(best);
        b.configKey = space.key(best);
        b.measurement.status = Status::Ok;
        b.measurement.objectiveMs = a100.objectiveMs[size_t(best)];
        x.append(b);
        const QString xName = QStringLiteral("session 1 (A100)"), yName = QStringLiteral("session 2 (A100)");
        std::vector<Landscape> ls = {TrialLandscape::build(xName, QStringLiteral("A100"), space, x),
                                     TrialLandscape::build(yName, QStringLiteral("A100"), space, y)};
        PortabilityModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setMatrix(Portability::compute(ls).value());
        QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("1.00x"));
        const QModelIndex cell = model.index(0, 1);
        QCOMPARE(cell.data().toString(), QStringLiteral("not measured on %1").arg(yName));
        QVERIFY(!cell.data(Qt::ForegroundRole).isValid());
        QVERIFY(!cell.data(Qt::BackgroundRole).isValid());
        QVERIFY(cell.data(Qt::ToolTipRole).toString().contains(QStringLiteral("not measured on %1").arg(yName)));
        // Y's best was measured by X too: a slowdown there.
        QVERIFY(std::isfinite(model.index(1, 0).data(PortabilityModel::SlowdownRole).toDouble()));

        // Rejected by the session itself: its status, not "not measured".
        Trial rejected = b;
        rejected.measurement = Measurement::failure(Status::CompileError, QStringLiteral("ptxas: too many registers"));
        y.append(rejected);
        ls[1] = TrialLandscape::build(yName, QStringLiteral("A100"), space, y);
        model.setMatrix(Portability::compute(ls).value());
        QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("compile_error"));
    }

private:
    std::vector<Landscape> m_landscapes;
};

QTEST_MAIN(TestStudioPortabilityModel)
#include "tst_studioportabilitymodel.moc"
