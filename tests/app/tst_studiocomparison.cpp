#include "TestSupport.h"
#include "ComparisonView.h"
#include "DeviceRegistry.h"
#include "Landscape.h"
#include "MainWindow.h"
#include "Portability.h"
#include "PortabilityModel.h"
#include "ReplayDevice.h"

#include <QAction>
#include <QComboBox>
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
private:
    QTemporaryDir m_settingsDir;
};

QTEST_MAIN(TestStudioComparison)
#include "tst_studiocomparison.moc"
