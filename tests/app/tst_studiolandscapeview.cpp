#include "views/LandscapeView.h"
#include "MainWindow.h"
#include "models/TrialTableModel.h"
#include "views/SetupPanel.h"
#include "views/TrialBrowser.h"
#include "views/TrialPlot.h"

#include <QLocale>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

using namespace dv;
using namespace dv::studio;

namespace {
const QString kW7800 = QStringLiteral("replay:kerneltuner/convolution_W7800");
}

// The session view's plots after a real replay session: the landscape heat map (click selects
// the configuration in the table) and the trial plot (status colours, x axis toggle).
class TestStudioLandscapeView : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_window = std::make_unique<MainWindow>(m_dir.filePath(QStringLiteral("results.sqlite")));
        m_window->resize(1500, 950);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        m_window->setupPanel()->setDevice(kW7800);
        m_window->setupPanel()->setStrategy(QStringLiteral("random"));
        m_window->setupPanel()->setBudget(400);
        QSignalSpy ended(m_window.get(), &MainWindow::sessionEnded);
        m_window->startSession();
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 60000);
        QCOMPARE(m_window->trialModel()->rowCount(), 400);
    }
    void cleanupTestCase() { m_window.reset(); }

    // Clicking an ok cell selects the trial of that cell's best configuration in the table.
    void clickSelectsTheConfiguration()
    {
        LandscapeView* view = m_window->landscapeView();
        const LandscapeGrid& grid = view->grid();
        QVERIFY(grid.count(LandscapeGrid::Cell::Ok) > 0);
        int column = -1, row = -1;
        for (int c = 0; c < grid.columns() && column < 0; ++c)
            for (int r = 0; r < grid.rows() && column < 0; ++r)
                if (grid.cell(c, r) == LandscapeGrid::Cell::Ok && grid.bestIndex(c, r) >= 0) {
                    column = c;
                    row = r;
                }
        QCustomPlot* plot = view->plot();
        plot->replot();
        const QPoint at(int(plot->xAxis->coordToPixel(column)), int(plot->yAxis->coordToPixel(row)));
        QCOMPARE(view->cellAt(at), QPoint(column, row));
        QSignalSpy clicked(view, &LandscapeView::configurationClicked);
        QTest::mouseClick(plot, Qt::LeftButton, {}, at);
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(view->selectedColumn(), column);
        QCOMPARE(view->selectedRow(), row);
        const QString key = m_window->landscapeView()->grid().bestIndex(column, row) >= 0
            ? clicked.at(0).at(0).toString()
            : QString();
        QVERIFY(!key.isEmpty());
        QTableView* table = m_window->trialBrowser()->view();
        const QModelIndex current = table->currentIndex();
        QVERIFY(current.isValid());
        const Trial selected = current.data(TrialTableModel::TrialRole).value<Trial>();
        QCOMPARE(selected.configKey, key);
        QCOMPARE(selected.measurement.objectiveMs, grid.bestMs(column, row));
    }

    // Selecting a trial in the table outlines its cell in the landscape.
    void tableSelectionOutlinesTheCell()
    {
        LandscapeView* view = m_window->landscapeView();
        const LandscapeGrid& grid = view->grid();
        const Trial t = m_window->trialModel()->trial(17);
        QVERIFY(m_window->trialBrowser()->selectConfiguration(t.configKey));
        const std::vector<int> v = m_window->landscapeView()->grid().xParameter() >= 0
            ? std::vector<int>{grid.xParameter(), grid.yParameter()}
            : std::vector<int>{};
        QCOMPARE(v.size(), size_t(2));
        const QString xName = m_window->trialModel()->headerData(TrialTableModel::FirstParameterColumn + v[0], Qt::Horizontal).toString();
        const QString yName = m_window->trialModel()->headerData(TrialTableModel::FirstParameterColumn + v[1], Qt::Horizontal).toString();
        QCOMPARE(grid.xValues()[view->selectedColumn()], t.config.value(xName));
        QCOMPARE(grid.yValues()[view->selectedRow()], t.config.value(yName));
    }

    // Log colour scale labelled in ms; failed cells are drawn (the W7800 has failures).
    void colourScaleAndFailures()
    {
        LandscapeView* view = m_window->landscapeView();
        QCPColorScale* scale = nullptr;
        for (QCPLayoutElement* e : view->plot()->plotLayout()->elements(false))
            scale = scale ? scale : qobject_cast<QCPColorScale*>(e);
        QVERIFY(scale);
        QCOMPARE(scale->dataScaleType(), QCPAxis::stLogarithmic);
        QVERIFY(scale->axis()->label().contains(QStringLiteral("ms")));
        QCOMPARE(view->colorLow(), view->grid().minMs());
        QCOMPARE(view->colorHigh(), view->grid().maxMs());
        // A fixed (shared) range overrides the grid's own.
        view->setColorRange(0.5, 50.0);
        QCOMPARE(view->colorLow(), 0.5);
        QCOMPARE(view->colorHigh(), 50.0);
        view->setColorRange(std::nan(""), std::nan(""));
        QCOMPARE(view->colorLow(), view->grid().minMs());
    }

    // The log colour bar names both of its ends: the fastest cell's time was unlabelled when it
    // was not a power of ten (QCPAxisTickerLog labels powers only).
    void colourBarLabelsBothEnds_data()
    {
        QTest::addColumn<double>("low");
        QTest::addColumn<double>("high");
        QTest::newRow("two decades") << 0.0312 << 2.47;
        QTest::newRow("within a decade") << 1.37 << 4.9;
        QTest::newRow("four decades") << 0.0021 << 35.0;
    }
    void colourBarLabelsBothEnds()
    {
        QFETCH(double, low);
        QFETCH(double, high);
        LandscapeView* view = m_window->landscapeView();
        view->setColorRange(low, high);
        view->plot()->replot();
        QCPAxis* axis = view->colorScale()->axis();
        const QVector<double> ticks = axis->tickVector();
        const QVector<QString> labels = axis->tickVectorLabels();
        QVERIFY(ticks.size() >= 2);
        QCOMPARE(ticks.front(), low);
        QCOMPARE(ticks.back(), high);
        QCOMPARE(labels.front(), view->plot()->locale().toString(low, 'g', 3));
        QCOMPARE(labels.back(), view->plot()->locale().toString(high, 'g', 3));
        for (const QString& label : labels)
            QVERIFY(!label.isEmpty());
        view->setColorRange(std::nan(""), std::nan(""));
    }

    // The evaluation axis counts: whole-number ticks only, however few the trials.
    void evaluationAxisTicksAreWhole_data()
    {
        QTest::addColumn<int>("trials");
        QTest::newRow("3") << 3;
        QTest::newRow("7") << 7;
        QTest::newRow("400") << 400;
    }
    void evaluationAxisTicksAreWhole()
    {
        QFETCH(int, trials);
        TrialPlot plot;
        plot.resize(600, 400);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        QVector<Trial> some;
        for (int i = 0; i < trials; ++i)
            some.append(m_window->trialModel()->trial(i));
        plot.appendTrials(some);
        plot.redraw();
        plot.plot()->replot();
        const QVector<double> ticks = plot.plot()->xAxis->tickVector();
        QVERIFY(ticks.size() >= 2);
        for (double t : ticks)
            QVERIFY2(t == std::floor(t), qPrintable(QString::number(t)));
        // Wall time is a measure, not a count: its ticks may be fractional; back to whole ones.
        plot.setXAxis(TrialPlot::XAxis::WallTime);
        plot.setXAxis(TrialPlot::XAxis::Evaluation);
        plot.plot()->replot();
        for (double t : plot.plot()->xAxis->tickVector())
            QVERIFY2(t == std::floor(t), qPrintable(QString::number(t)));
    }

    // Every trial is drawn once, by status; switching to wall time keeps them all.
    void trialPlotByStatusAndWallTime()
    {
        TrialPlot* plot = m_window->trialPlot();
        int ok = 0;
        QHash<int, int> failed;
        for (int r = 0; r < m_window->trialModel()->rowCount(); ++r) {
            const Measurement& m = m_window->trialModel()->trial(r).measurement;
            if (m.isOk())
                ++ok;
            else
                ++failed[int(m.status)];
        }
        QVERIFY(!failed.isEmpty());
        QCOMPARE(plot->pointCount(Status::Ok), ok);
        for (auto it = failed.cbegin(); it != failed.cend(); ++it)
            QCOMPARE(plot->pointCount(Status(it.key())), it.value());
        QCOMPARE(plot->plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);

        plot->setXAxis(TrialPlot::XAxis::WallTime);
        QVERIFY(plot->plot()->xAxis->label().contains(QStringLiteral("(s)")));
        QCOMPARE(plot->pointCount(Status::Ok), ok);
        // Wall time since the first trial: nothing before 0, nothing after the session's length.
        QCPGraph* okGraph = nullptr;
        for (int g = 0; g < plot->plot()->graphCount(); ++g)
            if (plot->plot()->graph(g)->name() == QStringLiteral("Trial (ok)"))
                okGraph = plot->plot()->graph(g);
        QVERIFY(okGraph);
        bool found = false;
        const QCPRange keys = okGraph->getKeyRange(found);
        QVERIFY(found);
        QVERIFY(keys.lower >= 0);
        QVERIFY(keys.upper < 600);
        plot->setXAxis(TrialPlot::XAxis::Evaluation);
        QCOMPARE(okGraph->getKeyRange(found).upper <= 400, true);
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
};

QTEST_MAIN(TestStudioLandscapeView)
#include "tst_studiolandscapeview.moc"
