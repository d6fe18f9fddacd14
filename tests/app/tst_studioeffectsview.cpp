#include "analysis/ParameterEffects.h"
#include "TestSupport.h"
#include "views/ParameterEffectsView.h"

#include <QComboBox>
#include <QFontMetrics>
#include <QtMath>
#include <QtTest>
#include <qcustomplot.h>

#include <cmath>

using namespace dv;
using namespace dv::studio;

namespace {

// Every configuration of a recorded landscape as a trial, in space order (failures included).
QVector<Trial> trialsOf(const QString& id, int limit, ConfigSpace* spaceOut)
{
    const std::shared_ptr<Device> device = test::openDevice(id);
    const ConfigSpace space = device->workload().space;
    QVector<Trial> trials;
    for (qint64 i = 0; i < space.size() && trials.size() < limit; ++i) {
        Trial t;
        t.sequence = int(trials.size()) + 1;
        t.spaceIndex = i;
        t.configKey = space.key(i);
        t.config = space.config(i);
        t.measurement = device->evaluate(t.config);
        trials.append(t);
    }
    *spaceOut = space;
    return trials;
}

} // namespace

class TestStudioEffectsView : public QObject {
    Q_OBJECT
private slots:
    // The view shows core's ranking, and one box (and one tick) per value of the shown parameter.
    void oneGroupPerValueInCoreOrder()
    {
        ConfigSpace space;
        const QVector<Trial> trials = trialsOf(QStringLiteral("replay:kerneltuner/convolution_W7800"), 1500, &space);
        ParameterEffectsView view;
        view.resize(1000, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setSpace(space);
        view.setTrials(trials);
        view.refresh();

        const QVector<ParameterEffect> core = ParameterEffects::fromTrials(space, trials);
        const QVector<int> rank = ParameterEffects::ranking(core);
        QCOMPARE(view.ranking(), rank);
        // The picker lists parameters most important first and opens on the first.
        auto* picker = view.findChild<QComboBox*>(QStringLiteral("effectsParameterCombo"));
        QVERIFY(picker);
        QCOMPARE(picker->count(), space.dimensions());
        for (int r = 0; r < rank.size(); ++r)
            QCOMPARE(picker->itemText(r), core[rank[r]].name);
        QCOMPARE(view.shownParameter(), rank[0]);

        for (int p : {rank[0], rank[1]}) {
            view.showParameter(p);
            const ParameterEffect& e = core[p];
            int withTimes = 0;
            for (const ValueEffect& v : e.values)
                withTimes += v.ok > 0 ? 1 : 0;
            QCOMPARE(view.boxes()->dataCount(), withTimes);
            // Each box is core's quartiles of that value.
            for (int k = 0, b = 0; k < e.values.size(); ++k) {
                if (e.values[k].ok == 0)
                    continue;
                const QCPStatisticalBoxData& box = *(view.boxes()->data()->at(b++));
                QCOMPARE(box.key, double(k));
                QCOMPARE(box.median, e.values[k].medianMs);
                QCOMPARE(box.lowerQuartile, e.values[k].q1Ms);
                QCOMPARE(box.upperQuartile, e.values[k].q3Ms);
            }
            auto* ticker = dynamic_cast<QCPAxisTickerText*>(view.distributionPlot()->xAxis->ticker().data());
            QVERIFY(ticker);
            QCOMPARE(ticker->ticks().size(), e.values.size());
            QCOMPARE(view.distributionPlot()->xAxis->label(), e.name);
            QCOMPARE(view.distributionPlot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
        }
    }

    // Clicking a bar in the ranking shows that parameter's values.
    void clickingARankingBarShowsIt()
    {
        ConfigSpace space;
        const QVector<Trial> trials = trialsOf(QStringLiteral("replay:kerneltuner/convolution_A100"), 800, &space);
        ParameterEffectsView view;
        view.resize(1000, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setSpace(space);
        view.setTrials(trials);
        view.refresh();
        QCustomPlot* plot = view.rankingPlot();
        plot->replot();
        const int third = view.ranking()[2];
        const int n = int(view.ranking().size());
        const double y = plot->yAxis->coordToPixel(n - 1 - 2);
        const double x = plot->xAxis->coordToPixel(0) + 5;
        QTest::mouseClick(plot, Qt::LeftButton, {}, QPoint(int(x), int(std::lround(y))));
        QCOMPARE(view.shownParameter(), third);
    }

    // The labels under the boxes never overlap, whatever the width and the number of values:
    // level in two lines when they fit, else upright on one line (every k-th if need be).
    void valueLabelsDoNotOverlap_data()
    {
        QTest::addColumn<int>("width");
        QTest::newRow("1600 px") << 1600;
        QTest::newRow("900 px") << 900;
        QTest::newRow("500 px") << 500;
    }
    void valueLabelsDoNotOverlap()
    {
        QFETCH(int, width);
        ConfigSpace space;
        const QVector<Trial> trials = trialsOf(QStringLiteral("replay:kerneltuner/convolution_W7800"), 100000, &space);
        ParameterEffectsView view;
        view.resize(width, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setSpace(space);
        view.setTrials(trials);
        view.refresh();
        QCustomPlot* plot = view.distributionPlot();
        const QFontMetrics fm(plot->xAxis->tickLabelFont());
        int level = 0;
        for (int p = 0; p < space.dimensions(); ++p) {
            if (space.parameters()[p].values.size() < 2)
                continue;
            view.showParameter(p);
            plot->replot(); // lays out for this width (and may re-place the labels)
            plot->replot(); // draws what was placed
            const double rotation = plot->xAxis->tickLabelRotation();
            const QVector<double> ticks = plot->xAxis->tickVector();
            const QVector<QString> labels = plot->xAxis->tickVectorLabels();
            QCOMPARE(ticks.size(), space.parameters()[p].values.size());
            // The horizontal room a label takes, turned by the axis' rotation about its tick.
            const auto across = [&](const QString& label) {
                const QRect r = fm.boundingRect(QRect(), Qt::TextDontClip | Qt::AlignHCenter, label);
                const double a = qDegreesToRadians(rotation);
                return std::abs(r.width() * std::cos(a)) + std::abs(r.height() * std::sin(a));
            };
            int previous = -1, shown = 0;
            for (int k = 0; k < ticks.size(); ++k) {
                if (labels[k].isEmpty())
                    continue;
                ++shown;
                if (previous >= 0) {
                    const double gap = plot->xAxis->coordToPixel(ticks[k]) - plot->xAxis->coordToPixel(ticks[previous]);
                    QVERIFY2(gap >= (across(labels[k]) + across(labels[previous])) / 2,
                             qPrintable(QStringLiteral("%1: '%2' and '%3' overlap at %4 px (rotation %5)")
                                            .arg(space.parameters()[p].name, labels[previous], labels[k]).arg(width).arg(rotation)));
                }
                previous = k;
            }
            QVERIFY(shown >= std::min<qsizetype>(2, ticks.size()));
            if (rotation == 0) {
                ++level;
                for (const QString& label : labels)
                    QVERIFY2(label.contains(QLatin1Char('\n')), qPrintable(label)); // value, then its counts
            }
        }
        // Wide enough, the few-valued parameters keep level two-line labels.
        if (width >= 1600)
            QVERIFY(level > 0);
    }

    // Trials arriving while the view is hidden are not analysed until it is shown.
    void hiddenViewDefersWork()
    {
        ConfigSpace space;
        const QVector<Trial> trials = trialsOf(QStringLiteral("replay:kerneltuner/convolution_A100"), 200, &space);
        ParameterEffectsView view;
        view.setSpace(space);
        view.setTrials(trials);
        QTest::qWait(ParameterEffectsView::kRefreshMs + 200);
        int measured = 0;
        for (const ValueEffect& v : view.effects()[0].values)
            measured += v.measured;
        QCOMPARE(measured, 0);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        measured = 0;
        for (const ValueEffect& v : view.effects()[0].values)
            measured += v.measured;
        QCOMPARE(measured, 200);
    }
};

QTEST_MAIN(TestStudioEffectsView)
#include "tst_studioeffectsview.moc"
