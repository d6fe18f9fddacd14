#include "TestSupport.h"
#include "MainWindow.h"
#include "analysis/Landscape.h"
#include "analysis/LandscapeGrid.h"
#include "analysis/Portability.h"
#include "device/DeviceRegistry.h"
#include "device/ReplayDevice.h"
#include "models/PortabilityModel.h"
#include "views/ComparisonView.h"
#include "views/LandscapeView.h"
#include "views/SetupPanel.h"

#include <QComboBox>
#include <QListWidget>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace dv;
using namespace dv::studio;

namespace {

const QString kPrefix = QStringLiteral("replay:kerneltuner/convolution_");
const QStringList kGpus = {QStringLiteral("A100"), QStringLiteral("MI250X"), QStringLiteral("W7800")};

Landscape shipped(const QString& gpu) { return dv::test::convolutionLandscape(gpu); }

int parameterIndex(const ConfigSpace& space, const QString& name)
{
    for (int p = 0; p < space.dimensions(); ++p)
        if (space.parameters()[p].name == name)
            return p;
    return -1;
}

} // namespace

class TestStudioCompareLandscapes : public QObject {
    Q_OBJECT
private slots:
    // The three convolution GPUs side by side: one heat map each, all on one colour range that
    // spans the fastest to the slowest cell of any of them; the matrix is core's.
    void sharedColourScale_data()
    {
        QTest::addColumn<QString>("x");
        QTest::addColumn<QString>("y");
        QTest::newRow("block x, tile x") << QStringLiteral("block_size_x") << QStringLiteral("tile_size_x");
        QTest::newRow("block y, padding") << QStringLiteral("block_size_y") << QStringLiteral("use_padding");
    }
    void sharedColourScale()
    {
        QFETCH(QString, x);
        QFETCH(QString, y);
        ComparisonView view;
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setChecked({kPrefix + kGpus[0], kPrefix + kGpus[1], kPrefix + kGpus[2]});
        view.setLandscapeAxes(x, y);
        QCOMPARE(view.landscapeViews().size(), 3);

        double lo = INFINITY, hi = 0;
        std::vector<Landscape> ls;
        for (const QString& gpu : kGpus) {
            ls.push_back(shipped(gpu));
            const Landscape& l = ls.back();
            const LandscapeGrid g =
                LandscapeGrid::fromLandscape(l, parameterIndex(l.space, x), parameterIndex(l.space, y)).value();
            lo = std::min(lo, g.minMs());
            hi = std::max(hi, g.maxMs());
        }
        QCOMPARE(view.sharedLow(), lo);
        QCOMPARE(view.sharedHigh(), hi);
        for (int i = 0; i < 3; ++i) {
            LandscapeView* lv = view.landscapeViews()[i];
            QCOMPARE(lv->colorLow(), lo);
            QCOMPARE(lv->colorHigh(), hi);
            // Each map is still its own GPU's grid.
            const Landscape& l = ls[size_t(i)];
            const LandscapeGrid g =
                LandscapeGrid::fromLandscape(l, parameterIndex(l.space, x), parameterIndex(l.space, y)).value();
            QCOMPARE(lv->grid().minMs(), g.minMs());
            QCOMPARE(lv->grid().columns(), g.columns());
        }

        const Portability core = Portability::compute(ls).value();
        PortabilityModel* model = view.portabilityModel();
        QCOMPARE(model->rowCount(), 3);
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j)
                QCOMPARE(model->index(i, j).data(PortabilityModel::SlowdownRole).toDouble(), core.slowdown(i, j));
    }

    // A stored session of the same kernel can be checked next to the datasets: its best
    // configuration gets a row of the matrix and its heat map joins the shared scale.
    void storedSessionJoinsTheComparison()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        MainWindow window(dir.filePath(QStringLiteral("results.sqlite")));
        window.show();
        window.setupPanel()->setDevice(kPrefix + QStringLiteral("A100"));
        window.setupPanel()->setStrategy(QStringLiteral("random"));
        window.setupPanel()->setBudget(150);
        QSignalSpy ended(&window, &MainWindow::sessionEnded);
        window.startSession();
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 60000);

        window.showComparison();
        ComparisonView* view = window.comparisonView();
        QListWidget* list = view->datasetList();
        QListWidgetItem* session = nullptr;
        for (int i = 0; i < list->count(); ++i)
            if (list->item(i)->data(Qt::UserRole).toString().startsWith(QStringLiteral("session:")))
                session = list->item(i);
        QVERIFY(session);
        QVERIFY(session->text().contains(QStringLiteral("150 trial")));
        QCOMPARE(session->checkState(), Qt::Unchecked);
        QCOMPARE(view->portabilityModel()->rowCount(), 3);
        session->setCheckState(Qt::Checked);
        QCOMPARE(view->portabilityModel()->rowCount(), 4);
        QCOMPARE(view->landscapeViews().size(), 4);
        // The session ran on the A100's landscape: its best is no faster than the A100's own best,
        // and the A100's best runs on it only if the session happened to measure it.
        const PortabilityModel* model = view->portabilityModel();
        const double sessionBest = model->matrix().bestMs(3);
        QVERIFY(sessionBest >= model->matrix().bestMs(0));
        QCOMPARE(model->index(3, 0).data(PortabilityModel::SlowdownRole).toDouble(), sessionBest / model->matrix().bestMs(0));
        QVERIFY(view->sharedLow() <= view->landscapeViews()[3]->grid().minMs());
        for (LandscapeView* lv : view->landscapeViews())
            QCOMPARE(lv->colorLow(), view->sharedLow());
    }
};

QTEST_MAIN(TestStudioCompareLandscapes)
#include "tst_studiocomparelandscapes.moc"
