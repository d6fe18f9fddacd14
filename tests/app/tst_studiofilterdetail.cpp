#include "device/SampleSummary.h"
#include "TestSupport.h"
#include "models/TrialFilterProxy.h"
#include "models/TrialTableModel.h"
#include "theme/StatusColors.h"
#include "views/TrialBrowser.h"
#include "views/TrialDetailView.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLineEdit>
#include <QTableView>
#include <QtTest>
#include <qcustomplot.h>

using namespace dv;
using namespace dv::studio;

namespace {

const QString kW7800 = QStringLiteral("replay:kerneltuner/convolution_W7800");

QVector<Trial> trialsOf(const QString& id, int limit, QStringList* names)
{
    const std::shared_ptr<Device> device = test::openDevice(id);
    const ConfigSpace space = device->workload().space;
    for (const Parameter& p : space.parameters())
        names->append(p.name);
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
    return trials;
}

int countIf(const QVector<Trial>& trials, const std::function<bool(const Trial&)>& f)
{
    return int(std::count_if(trials.begin(), trials.end(), f));
}

} // namespace

class TestStudioFilterDetail : public QObject {
    Q_OBJECT
private slots:
    void init()
    {
        m_names.clear();
        m_trials = trialsOf(kW7800, 100000, &m_names); // all of it: failures are scattered
        m_model = std::make_unique<TrialTableModel>();
        m_model->setTrials(m_names, m_trials);
        m_browser = std::make_unique<TrialBrowser>(m_model.get());
        m_browser->resize(1200, 500);
        m_browser->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_browser.get()));
    }
    void cleanup()
    {
        m_browser.reset();
        m_model.reset();
    }

    void proxyPassesModelTester()
    {
        QAbstractItemModelTester tester(m_browser->proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        m_browser->queryEdit()->setText(QStringLiteral("block_size_x=32"));
        m_browser->statusCombo()->setCurrentIndex(1);
        m_model->appendTrials({m_trials.front()});
    }

    void filterReducesRows_data()
    {
        QTest::addColumn<int>("status");     // TrialFilterProxy status filter
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("name");   // parameter tested in `value` (empty: none)
        QTest::addColumn<int>("value");
        QTest::newRow("all") << int(TrialFilterProxy::AllStatuses) << QString() << QString() << 0;
        QTest::newRow("failures") << int(TrialFilterProxy::AnyFailure) << QString() << QString() << 0;
        QTest::newRow("ok") << int(Status::Ok) << QString() << QString() << 0;
        QTest::newRow("block 32") << int(TrialFilterProxy::AllStatuses) << QStringLiteral("block_size_x=32")
                                  << QStringLiteral("block_size_x") << 32;
        QTest::newRow("ok, tile 4") << int(Status::Ok) << QStringLiteral("  tile_size_x=4 ") << QStringLiteral("tile_size_x")
                                    << 4;
        QTest::newRow("no such value") << int(TrialFilterProxy::AllStatuses) << QStringLiteral("tile_size_x=77")
                                       << QStringLiteral("tile_size_x") << 77;
    }
    void filterReducesRows()
    {
        QFETCH(int, status);
        QFETCH(QString, query);
        QFETCH(QString, name);
        QFETCH(int, value);
        QComboBox* combo = m_browser->statusCombo();
        combo->setCurrentIndex(combo->findData(status));
        QTest::keyClicks(m_browser->queryEdit(), query);
        const int expected = countIf(m_trials, [&](const Trial& t) {
            const bool statusOk = status == TrialFilterProxy::AllStatuses
                || (status == TrialFilterProxy::AnyFailure ? !t.measurement.isOk() : int(t.measurement.status) == status);
            return statusOk && (name.isEmpty() || t.config.value(name).toInt() == value);
        });
        QCOMPARE(m_browser->proxy()->rowCount(), expected);
        if (status == TrialFilterProxy::AnyFailure) {
            QVERIFY(expected > 0); // the W7800 landscape has failures
            QVERIFY(expected < m_trials.size());
        }
        // Status colours survive the proxy.
        for (int row = 0; row < std::min(expected, 20); ++row) {
            const QModelIndex idx = m_browser->proxy()->index(row, TrialTableModel::StatusColumn);
            const Status s = Status(idx.data(TrialTableModel::StatusRole).toInt());
            QCOMPARE(idx.data(Qt::ForegroundRole).value<QColor>(), statusColor(s));
        }
    }

    // Free words must occur in the configuration key.
    void textQuery()
    {
        m_browser->queryEdit()->setText(QStringLiteral("\"use_padding\":1"));
        const int expected = countIf(m_trials, [](const Trial& t) { return t.configKey.contains(QStringLiteral("\"use_padding\":1")); });
        QVERIFY(expected > 0 && expected < m_trials.size());
        QCOMPARE(m_browser->proxy()->rowCount(), expected);
    }

    // Clicking a row shows its samples, percentiles, compile time and error in the detail.
    void selectingARowFillsTheDetail()
    {
        QTableView* view = m_browser->view();
        const int row = 3;
        const QRect rect = view->visualRect(m_browser->proxy()->index(row, 0));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, rect.center());
        const Trial& t = m_model->trial(m_browser->proxy()->mapToSource(m_browser->proxy()->index(row, 0)).row());
        TrialDetailView* detail = m_browser->detail();
        QVERIFY(detail->field(QStringLiteral("Status")).contains(statusName(t.measurement.status)));
        const SampleSummary s = SampleSummary::of(t.measurement.samplesMs);
        QVERIFY(s.count > 1); // Kernel Tuner caches keep every timed run
        QVERIFY(detail->field(QStringLiteral("Samples")).startsWith(QString::number(s.count)));
        QCOMPARE(detail->field(QStringLiteral("p20 / p80")),
                 QStringLiteral("%1 ms / %2 ms").arg(QString::number(s.p20Ms, 'g', 5), QString::number(s.p80Ms, 'g', 5)));
        QCOMPARE(detail->samplesPlot()->graph(0)->dataCount(), int(t.measurement.samplesMs.size()));
        if (std::isfinite(t.measurement.compileTimeMs))
            QVERIFY(detail->field(QStringLiteral("Compile time")).startsWith(QString::number(t.measurement.compileTimeMs, 'g', 5)));
    }

    // The detail names the statistic the search ranked by, and shows the mean labelled as the
    // mean: a Kernel Tuner cache recorded the mean of its samples, a worker sends the median.
    void detailNamesTheRankedStatistic_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("ranked");
        QTest::newRow("recorded dataset") << QStringLiteral("dataset") << QStringLiteral("the mean of the samples");
        QTest::newRow("worker") << QStringLiteral("worker") << QStringLiteral("the median of the samples");
        QTest::newRow("one sample") << QStringLiteral("single") << QStringLiteral("the only sample");
    }
    void detailNamesTheRankedStatistic()
    {
        QFETCH(QString, source);
        QFETCH(QString, ranked);
        const auto ok = std::find_if(m_trials.begin(), m_trials.end(), [](const Trial& t) {
            return t.measurement.isOk() && t.measurement.samplesMs.size() > 2;
        });
        QVERIFY(ok != m_trials.end());
        Trial t = *ok;
        SampleSummary s = SampleSummary::of(t.measurement.samplesMs);
        QVERIFY(s.meanMs != s.medianMs);
        if (source == QLatin1String("worker")) {
            t.measurement.objectiveMs = s.medianMs; // docs/worker-protocol.md: objective_ms is the median
        } else if (source == QLatin1String("single")) {
            t.measurement.samplesMs = {t.measurement.objectiveMs};
            s = SampleSummary::of(t.measurement.samplesMs);
        } else {
            QCOMPARE(int(s.statisticOf(t.measurement.objectiveMs)), int(SampleSummary::Statistic::Mean));
        }
        TrialDetailView* detail = m_browser->detail();
        detail->showTrial(t);
        const QString time = detail->field(QStringLiteral("Time (ranked)"));
        QVERIFY2(time.startsWith(QString::number(t.measurement.objectiveMs, 'g', 5) + QStringLiteral(" ms")), qPrintable(time));
        QVERIFY2(time.contains(ranked), qPrintable(time));
        const QString samples = detail->field(QStringLiteral("Samples"));
        QVERIFY2(samples.contains(QStringLiteral("median %1 ms").arg(QString::number(s.medianMs, 'g', 5))), qPrintable(samples));
        QVERIFY2(samples.contains(QStringLiteral("mean %1 ms").arg(QString::number(s.meanMs, 'g', 5))), qPrintable(samples));
        QVERIFY(detail->field(QStringLiteral("Time")).isEmpty()); // no unnamed "Time" any more
    }

    // A worker's failure: the error text and the GPU facts from the measurement's extra.
    void failureShowsErrorAndExtra()
    {
        Trial t = m_trials.front();
        t.sequence = 9999;
        t.measurement = Measurement::failure(Status::WrongResult, QStringLiteral("max abs error 0.5 at index 17"));
        t.measurement.compileTimeMs = 790.0;
        t.measurement.extra = QJsonObject{{QStringLiteral("registers"), 168}, {QStringLiteral("shared_memory_bytes"), 98304},
                                          {QStringLiteral("clock_mhz"), 1980}, {QStringLiteral("temperature_c"), 47},
                                          {QStringLiteral("l2_bytes"), 52428800}};
        m_model->appendTrials({t});
        m_browser->queryEdit()->clear();
        m_browser->statusCombo()->setCurrentIndex(m_browser->statusCombo()->findData(int(Status::WrongResult)));
        QCOMPARE(m_browser->proxy()->rowCount(), 1);
        QTableView* view = m_browser->view();
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(m_browser->proxy()->index(0, 0)).center());
        TrialDetailView* detail = m_browser->detail();
        QCOMPARE(detail->errorText(), QStringLiteral("max abs error 0.5 at index 17"));
        QCOMPARE(detail->field(QStringLiteral("Registers")), QStringLiteral("168 per thread"));
        QCOMPARE(detail->field(QStringLiteral("Shared memory")), QStringLiteral("96 KiB per block"));
        QCOMPARE(detail->field(QStringLiteral("Clock")), QStringLiteral("1980 MHz"));
        QCOMPARE(detail->field(QStringLiteral("Temperature")), QStringLiteral("47 °C"));
        QCOMPARE(detail->field(QStringLiteral("Compile time")), QStringLiteral("790 ms"));
        QCOMPARE(detail->field(QStringLiteral("Other")), QStringLiteral("l2_bytes=52428800"));
    }

    // A configuration hidden by the filter is still found: the filter is cleared.
    void selectConfigurationClearsAHidingFilter()
    {
        m_browser->statusCombo()->setCurrentIndex(m_browser->statusCombo()->findData(int(TrialFilterProxy::AnyFailure)));
        const auto ok = std::find_if(m_trials.begin(), m_trials.end(), [](const Trial& t) { return t.measurement.isOk(); });
        QVERIFY(m_browser->selectConfiguration(ok->configKey));
        QCOMPARE(m_browser->statusCombo()->currentIndex(), 0);
        const QModelIndex current = m_browser->view()->currentIndex();
        QCOMPARE(m_model->trial(m_browser->proxy()->mapToSource(current).row()).configKey, ok->configKey);
        QVERIFY(!m_browser->selectConfiguration(QStringLiteral("{\"no\":1}")));
    }

private:
    QStringList m_names;
    QVector<Trial> m_trials;
    std::unique_ptr<TrialTableModel> m_model;
    std::unique_ptr<TrialBrowser> m_browser;
};

QTEST_MAIN(TestStudioFilterDetail)
#include "tst_studiofilterdetail.moc"
