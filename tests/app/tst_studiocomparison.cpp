#include "TestSupport.h"
#include "MainWindow.h"
#include "analysis/Landscape.h"
#include "analysis/LandscapeGrid.h"
#include "analysis/Portability.h"
#include "analysis/TrialLandscape.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "models/PortabilityModel.h"
#include "session/Session.h"
#include "views/ComparisonView.h"
#include "views/CrossCheckBar.h"
#include "views/CrossCheckDialog.h"
#include "views/LandscapeView.h"

#include <QAction>
#include <QComboBox>
#include <QHeaderView>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QListWidget>
#include <QTableWidget>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

using namespace dv;
using namespace dv::studio;

namespace {

const QString kPrefix = QStringLiteral("replay:kerneltuner/convolution_");
const QStringList kGpus = {QStringLiteral("A100"), QStringLiteral("MI250X"), QStringLiteral("W7800")};

Landscape shipped(const QString& gpu) { return dv::test::convolutionLandscape(gpu); }

QListWidgetItem* itemFor(QListWidget* list, const QString& gpu)
{
    const auto found = list->findItems(gpu, Qt::MatchExactly);
    return found.isEmpty() ? nullptr : found.front();
}

} // namespace

class TestStudioComparison : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        // The main window reads its saved settings: point them at a temporary directory.
        QVERIFY(m_settingsDir.isValid());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    }

    // Open the comparison from the menu, check the three convolution landscapes one by one, and
    // read core's portability matrix back from the view's model.
    void menuOpensThePortabilityMatrix()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        MainWindow window(dir.filePath(QStringLiteral("results.sqlite")));
        window.show();
        auto* action = window.findChild<QAction*>(QStringLiteral("compareAction"));
        QVERIFY(action);
        action->trigger();
        ComparisonView* view = window.comparisonView();
        QVERIFY(view);
        QVERIFY(QTest::qWaitForWindowExposed(view));

        view->setChecked({});
        QCOMPARE(view->portabilityModel()->rowCount(), 0);
        auto* list = view->datasetList();
        for (const QString& gpu : kGpus) {
            QListWidgetItem* item = itemFor(list, gpu);
            QVERIFY2(item, qPrintable(gpu));
            item->setCheckState(Qt::Checked); // as a click on its box does
        }
        QCOMPARE(view->checkedIds(), QStringList({kPrefix + kGpus[0], kPrefix + kGpus[1], kPrefix + kGpus[2]}));

        PortabilityModel* model = view->portabilityModel();
        QCOMPARE(model->rowCount(), 3);
        std::vector<Landscape> ls;
        for (const QString& gpu : kGpus)
            ls.push_back(shipped(gpu));
        const Portability core = Portability::compute(ls).value();
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(model->index(i, i).data().toString(), QStringLiteral("1.00x"));
            for (int j = 0; j < 3; ++j)
                QCOMPARE(model->index(i, j).data(PortabilityModel::SlowdownRole).toDouble(), core.slowdown(i, j));
        }
        QCOMPARE(model->index(0, 1).data().toString(), QStringLiteral("20.4x")); // tuned on A100, run on MI250X
        QCOMPARE(model->headerData(0, Qt::Vertical).toString(), QStringLiteral("tuned on A100"));

        // The scatter shows core's rank correlation for the picked pair.
        const RankCorrelation rho = Portability::spearman(ls[0], ls[1]);
        QVERIFY(view->scatterTitle().contains(QString::number(rho.rho, 'f', 2)));
        QCOMPARE(view->scatter()->graph(0)->dataCount(), rho.count);
        view->findChild<QComboBox*>(QStringLiteral("scatterB"))->setCurrentIndex(2);
        const RankCorrelation rhoW = Portability::spearman(ls[0], ls[2]);
        QVERIFY(view->scatterTitle().contains(QString::number(rhoW.rho, 'f', 2)));
        QCOMPARE(view->scatter()->graph(0)->dataCount(), rhoW.count);

        // Best configurations side by side; block_size_x differs (32 vs 64), use_padding does not.
        QTableWidget* best = view->bestTable();
        QCOMPARE(best->columnCount(), 3);
        int blockRow = -1, paddingRow = -1;
        for (int r = 0; r < best->rowCount(); ++r) {
            const QString name = best->verticalHeaderItem(r)->text();
            blockRow = name == QLatin1String("block_size_x") ? r : blockRow;
            paddingRow = name == QLatin1String("use_padding") ? r : paddingRow;
        }
        QVERIFY(blockRow > 0 && paddingRow > 0);
        QVERIFY(best->item(blockRow, 0)->font().bold());
        QVERIFY(!best->item(paddingRow, 0)->font().bold());
        QCOMPARE(best->item(0, 0)->text(), QString::number(core.bestMs(0), 'g', 4));
    }

    // One landscape is no comparison: the matrix empties and says why.
    void oneDatasetEmptiesTheMatrix()
    {
        ComparisonView view;
        QCOMPARE(view.portabilityModel()->rowCount(), 3); // the convolution landscapes by default
        view.setChecked({kPrefix + kGpus[0]});
        QCOMPARE(view.portabilityModel()->rowCount(), 0);
        QCOMPARE(view.bestTable()->rowCount(), 0);
        QCOMPARE(view.scatter()->graph(0)->dataCount(), 0);
    }
    // Issue 16 item 5 in the studio: two sparse sessions show estimates in italics and the
    // cross-check bar; the dialog's device fields start empty (the stored device is shown, taken
    // only on "Use"); measuring fills the matrix with measured values and hides the bar.
    void crossCheckFillsTheMatrix()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString db = dir.filePath(QStringLiteral("results.sqlite"));
        QVector<qint64> ids;
        {
            auto store = test::openStore(db);
            quint64 seed = 3;
            for (const QString& gpu : {kGpus[0], kGpus[1]}) {
                SessionOptions o;
                o.strategy = QStringLiteral("random");
                o.seed = seed += 4;
                o.maxEvaluations = 25;
                o.remeasureTop = 0;
                auto session = Session::create(*store, test::openDevice(kPrefix + gpu), o);
                QVERIFY2(session, qPrintable(session.error()));
                QVERIFY(session.value()->run());
                ids.append(session.value()->id());
            }
        }
        ComparisonView view;
        view.resize(900, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setDatabasePath(db);
        const QStringList checked{QStringLiteral("session:%1").arg(ids[0]), QStringLiteral("session:%1").arg(ids[1])};
        view.setChecked(checked);
        const QStringList listed = view.checkedIds(); // in list order: newest session first
        PortabilityModel* model = view.portabilityModel();
        QCOMPARE(model->rowCount(), 2);
        for (auto [i, j] : {std::pair{0, 1}, std::pair{1, 0}}) {
            QVERIFY(model->matrix().unmeasured(i, j));
            QVERIFY(model->index(i, j).data().toString().endsWith(QLatin1String(" est.")));
        }
        CrossCheckBar* bar = view.crossCheckBar();
        QVERIFY(bar->isVisible());
        QCOMPARE(bar->targets().size(), 2);
        QVERIFY2(bar->text().contains(QLatin1String("estimates")), qPrintable(bar->text()));

        QTest::mouseClick(bar->button(), Qt::LeftButton);
        CrossCheckDialog* dialog = bar->dialog();
        QVERIFY(dialog);
        QLineEdit* first = dialog->deviceField(ids[0]);
        QVERIFY(first && first->text().isEmpty());
        QVERIFY(first->placeholderText().contains(kPrefix + kGpus[0]));
        // Nothing given: refused, nothing stored, and the stored device is named.
        QSignalSpy ended(dialog, &CrossCheckDialog::crossChecked);
        dialog->start();
        QVERIFY(ended.wait(30000));
        QCOMPARE(ended.takeFirst().at(0).toBool(), false);
        QVERIFY2(dialog->report().contains(QLatin1String("nothing measured")), qPrintable(dialog->report()));
        QCOMPARE(test::openStore(db)->sessions()->size(), 2);
        // "Use" takes the stored device for the first; the second is typed.
        auto* use = dialog->findChild<QPushButton*>(QStringLiteral("crossCheckUseStored%1").arg(ids[0]));
        QVERIFY(use);
        QTest::mouseClick(use, Qt::LeftButton);
        QCOMPARE(first->text(), kPrefix + kGpus[0]);
        dialog->deviceField(ids[1])->setText(kPrefix + kGpus[1]);
        dialog->start();
        QVERIFY(ended.wait(30000));
        QCOMPARE(ended.takeFirst().at(0).toBool(), true);
        QVERIFY2(dialog->report().contains(QLatin1String("measured (session 3)")), qPrintable(dialog->report()));
        // The comparison read the sessions again, the cross-checks merged in.
        QTRY_VERIFY_WITH_TIMEOUT(!model->matrix().unmeasured(0, 1), 5000);
        QCOMPARE(view.checkedIds(), listed);
        for (auto [i, j] : {std::pair{0, 1}, std::pair{1, 0}}) {
            QVERIFY(!model->matrix().unmeasured(i, j));
            QVERIFY(!model->index(i, j).data().toString().contains(QLatin1String("est.")));
        }
        QVERIFY(model->headerData(0, Qt::Horizontal).toString().contains(QLatin1String("+ cross-check")));
        QVERIFY(!bar->isVisible());
        // The cross-check sessions are part of their sessions, not listed beside them.
        QCOMPARE(view.datasetList()->findItems(QStringLiteral("Session 3"), Qt::MatchStartsWith).size(), 0);
    }

    // Two stored sessions side by side: a configuration one never measured is "not measured on"
    // it (was "not in dataset"), its heat-map cells stay empty (were drawn as failures), the rank
    // correlation over their few common configurations carries a warning, the scatter's points
    // are opaque in both themes, and narrow columns scroll rather than clip their headers.
    void twoSessionsCompareTruthfully()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString db = dir.filePath(QStringLiteral("results.sqlite"));
        QVector<qint64> ids;
        {
            auto store = test::openStore(db);
            for (const auto& [gpu, budget] : {std::pair{kGpus[0], 30}, std::pair{kGpus[1], 12}}) {
                SessionOptions o;
                o.strategy = QStringLiteral("grid");
                o.maxEvaluations = budget;
                o.remeasureTop = 0;
                auto session = Session::create(*store, test::openDevice(kPrefix + gpu), o);
                QVERIFY2(session, qPrintable(session.error()));
                QVERIFY(session.value()->run());
                ids.append(session.value()->id());
            }
        }
        ComparisonView view;
        view.resize(700, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setDatabasePath(db);
        view.setChecked({QStringLiteral("session:%1").arg(ids[0]), QStringLiteral("session:%1").arg(ids[1])});
        PortabilityModel* model = view.portabilityModel();
        QCOMPARE(model->rowCount(), 2);
        const Portability& core = model->matrix();

        // Never measured is said as such, and only there.
        int unmeasured = 0;
        for (int i = 0; i < 2; ++i) {
            for (int j = 0; j < 2; ++j) {
                const QString text = model->index(i, j).data().toString();
                QVERIFY2(!text.contains(QStringLiteral("not in dataset")), qPrintable(text));
                if (core.unmeasured(i, j)) {
                    ++unmeasured;
                    // Estimated by the surrogate of the column's session (marked, in italics), or
                    // said as unknown when it has too few measurements to learn from.
                    const double estimate = model->index(i, j).data(PortabilityModel::EstimateRole).toDouble();
                    if (std::isfinite(estimate)) {
                        QVERIFY2(text.startsWith(QLatin1Char('~')) && text.endsWith(QLatin1String(" est.")), qPrintable(text));
                        QVERIFY(model->index(i, j).data(Qt::FontRole).value<QFont>().italic());
                        QVERIFY(model->index(i, j).data(Qt::ToolTipRole).toString().contains(QLatin1String("a guess until a cross-check")));
                    } else {
                        QCOMPARE(text, QStringLiteral("not measured on %1").arg(core.names()[j]));
                    }
                    QVERIFY(!model->index(i, j).data(Qt::ForegroundRole).isValid()); // no failure colour
                }
            }
        }
        QCOMPARE(unmeasured, 1); // the 30-trial session's best lies beyond the other's 12

        // Heat maps: cells a session never measured are empty, failures only where trials failed.
        auto store = test::openStore(db);
        QCOMPARE(view.landscapeViews().size(), 2);
        for (int k = 0; k < 2; ++k) {
            const LandscapeGrid& shown = view.landscapeViews()[k]->grid();
            const ConfigSpace space = test::datasetSpace(kPrefix + kGpus[k]);
            const LandscapeGrid expected =
                LandscapeGrid::fromTrials(space, store->trials(ids[k]).value(), shown.xParameter(), shown.yParameter()).value();
            QVERIFY(shown.count(LandscapeGrid::Cell::Unmeasured) > 0);
            for (auto cell : {LandscapeGrid::Cell::Ok, LandscapeGrid::Cell::Failed, LandscapeGrid::Cell::Unmeasured})
                QCOMPARE(shown.count(cell), expected.count(cell));
        }

        // The rank correlation over a handful of common configurations is flagged.
        std::vector<Landscape> built;
        for (int k = 0; k < 2; ++k)
            built.push_back(TrialLandscape::build(core.names()[k], QString(), test::datasetSpace(kPrefix + kGpus[k]),
                                                  store->trials(ids[k]).value()));
        const RankCorrelation rho = Portability::spearman(built[0], built[1]);
        QVERIFY2(rho.count >= 2 && rho.fewCommon(), qPrintable(QString::number(rho.count)));
        QCOMPARE(view.scatter()->graph(0)->dataCount(), rho.count);
        QVERIFY2(view.scatterTitle().contains(QStringLiteral("too few to trust")), qPrintable(view.scatterTitle()));
        QVERIFY(view.scatterTitle().contains(QString::number(rho.rho, 'f', 2)));
        auto* title = qobject_cast<QCPTextElement*>(view.scatter()->plotLayout()->element(0, 0));
        QVERIFY(title);
        QVERIFY(title->textColor() != view.palette().color(QPalette::Text));

        // The few points are opaque and stand out from the background, light or dark.
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
        dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
        dark.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
        dark.setColor(QPalette::WindowText, QColor(0xe0, 0xe0, 0xe0));
        for (const QPalette& palette : {view.palette(), dark}) {
            view.setPalette(palette);
            const QImage dot = view.scatter()->graph(0)->scatterStyle().pixmap().toImage();
            QVERIFY(dot.width() >= 12); // 6 px or more at twice the size
            const QColor c = dot.pixelColor(dot.width() / 2, dot.height() / 2);
            QCOMPARE(c.alpha(), 255);
            QVERIFY(std::abs(c.lightnessF() - palette.color(QPalette::Base).lightnessF()) > 0.25);
            QVERIFY(title->textColor() != palette.color(QPalette::Text));
        }

        // Narrow columns: no header is clipped ("n MI250X"); the table scrolls instead.
        for (QHeaderView* header : {view.findChild<QTableView*>(QStringLiteral("portabilityView"))->horizontalHeader(),
                                    view.bestTable()->horizontalHeader()}) {
            // QHeaderView lays its sections out again from a timer: let the event loop run.
            for (int s = 0; s < header->count(); ++s)
                QTRY_VERIFY2(header->sectionSize(s) >= header->sectionSizeHint(s),
                             qPrintable(QStringLiteral("%1 < %2").arg(header->sectionSize(s)).arg(header->sectionSizeHint(s))));
        }
        QCOMPARE(view.bestTable()->horizontalHeaderItem(0)->toolTip(), core.names()[0]);
    }

private:
    QTemporaryDir m_settingsDir;
};

QTEST_MAIN(TestStudioComparison)
#include "tst_studiocomparison.moc"
