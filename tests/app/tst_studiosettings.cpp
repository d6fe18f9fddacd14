// What the studio remembers between runs: recent files, window and splitter layout, the last
// set-up. QSettings points at a temporary directory, never at the user's configuration.
#include "MainWindow.h"
#include "StudioSettings.h"
#include "views/SetupPanel.h"
#include "views/SpaceEditor.h"

#include <QAction>
#include <QComboBox>
#include <QMenu>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace dv::studio;
using Kind = StudioSettings::RecentFile::Kind;

namespace {
const QString kW7800File = QStringLiteral(DEJAVU_DATASETS_DIR "/kerneltuner/convolution_W7800.json.gz");
const QString kSpaceFile = QStringLiteral(DEJAVU_DATASETS_DIR "/../spaces/convolution.json");

QStringList recentPaths(const StudioSettings& s)
{
    QStringList out;
    for (const auto& r : s.recentFiles())
        out.append(r.path);
    return out;
}
} // namespace

class TestStudioSettings : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.path());
        QCoreApplication::setOrganizationName(QStringLiteral("dejavu-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_studiosettings"));
        QVERIFY2(QSettings().fileName().startsWith(m_dir.path()), qPrintable(QSettings().fileName()));
    }
    void init() { QSettings().clear(); }

    void recentFilesKeepTheNewestFirst()
    {
        StudioSettings s;
        QVERIFY(s.recentFiles().isEmpty());
        for (int i = 0; i < StudioSettings::kMaxRecent + 3; ++i)
            s.addRecentFile({i % 2 ? Kind::Space : Kind::Dataset, QStringLiteral("/data/f%1.json").arg(i)});
        const QStringList paths = recentPaths(s);
        QCOMPARE(paths.size(), StudioSettings::kMaxRecent);
        QCOMPARE(paths.first(), QStringLiteral("/data/f10.json"));
        QCOMPARE(paths.last(), QStringLiteral("/data/f3.json"));
        QCOMPARE(s.recentFiles().first().kind, Kind::Dataset);
        QCOMPARE(s.recentFiles().at(1).kind, Kind::Space);

        // Opening one again moves it to the front without a duplicate.
        s.addRecentFile({Kind::Space, QStringLiteral("/data/f5.json")});
        QCOMPARE(recentPaths(s).first(), QStringLiteral("/data/f5.json"));
        QCOMPARE(recentPaths(s).count(QStringLiteral("/data/f5.json")), 1);
        QCOMPARE(recentPaths(s).size(), StudioSettings::kMaxRecent);
        // Another StudioSettings reads the same store.
        QCOMPARE(recentPaths(StudioSettings()), recentPaths(s));
        s.clearRecentFiles();
        QVERIFY(s.recentFiles().isEmpty());
    }

    // Close the window, open a new one: size, splitters and set-up come back.
    void windowLayoutAndSetupAreRestored()
    {
        QTemporaryDir db;
        QList<int> sizes;
        {
            MainWindow window(db.filePath(QStringLiteral("results.sqlite")));
            window.resize(1300, 820);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            auto* main = window.findChild<QSplitter*>(QStringLiteral("mainSplitter"));
            QVERIFY(main);
            main->setSizes({560, 740});
            sizes = main->sizes();
            window.setupPanel()->setDevice(QStringLiteral("replay:kerneltuner/convolution_MI250X"));
            window.setupPanel()->setStrategy(QStringLiteral("genetic"));
            window.setupPanel()->setBudget(345);
            window.setupPanel()->setSlotCount(6);
            QVERIFY(window.close());
        }
        MainWindow window(db.filePath(QStringLiteral("results.sqlite")));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.size(), QSize(1300, 820));
        QCOMPARE(window.findChild<QSplitter*>(QStringLiteral("mainSplitter"))->sizes(), sizes);
        QCOMPARE(window.setupPanel()->deviceId(), QStringLiteral("replay:kerneltuner/convolution_MI250X"));
        QCOMPARE(window.setupPanel()->strategy(), QStringLiteral("genetic"));
        QCOMPARE(window.setupPanel()->budget(), 345);
        QCOMPARE(window.setupPanel()->slotCount(), 6);
        QCOMPARE(window.setupPanel()->request().slotCount, 6);
    }

    // Opened files appear under File > Open recent, in a new window too, and open from there.
    void recentMenuOpensFiles()
    {
        QTemporaryDir db;
        {
            MainWindow window(db.filePath(QStringLiteral("results.sqlite")));
            QVERIFY(window.openDataset(kW7800File));
            QCOMPARE(window.setupPanel()->deviceId(), kW7800File);
            QVERIFY(window.openSpaceFile(kSpaceFile));
        }
        MainWindow window(db.filePath(QStringLiteral("results.sqlite")));
        auto* recent = window.findChild<QMenu*>(QStringLiteral("recentMenu"));
        QVERIFY(recent);
        QList<QAction*> entries;
        for (QAction* a : recent->actions()) {
            if (!a->data().toString().isEmpty())
                entries.append(a);
        }
        QCOMPARE(entries.size(), 2);
        QCOMPARE(entries.at(0)->data().toString(), kSpaceFile);
        QCOMPARE(entries.at(1)->data().toString(), kW7800File);
        QVERIFY(window.setupPanel()->deviceId() != kW7800File);
        entries.at(1)->trigger();
        QCOMPARE(window.setupPanel()->deviceId(), kW7800File);
        QCOMPARE(window.setupPanel()->spaceEditor()->sourceName(), kW7800File);
        QVERIFY(window.setupPanel()->findChild<QTableWidget*>(QStringLiteral("parameterTable"))->rowCount() > 0);
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestStudioSettings)
#include "tst_studiosettings.moc"
