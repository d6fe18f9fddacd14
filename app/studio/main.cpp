#include "MainWindow.h"
#include "ScreenshotHarness.h"
#include "theme/Palette.h"
#include "views/ComparisonView.h"
#include "views/SetupPanel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("dejavu"));
    QApplication::setApplicationName(QStringLiteral("dejavu-studio"));
    QApplication::setApplicationVersion(QStringLiteral("0.1"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Deja Vu Studio: GPU kernel autotuning workbench"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption database(QStringLiteral("database"), QStringLiteral("Result store (SQLite) to use."),
                                      QStringLiteral("path"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("Device to preselect."), QStringLiteral("id"));
    const QCommandLineOption strategy(QStringLiteral("strategy"), QStringLiteral("Strategy to preselect."),
                                      QStringLiteral("name"));
    const QCommandLineOption budget(QStringLiteral("budget"), QStringLiteral("Budget to preselect."), QStringLiteral("n"));
    const QCommandLineOption slotCount(QStringLiteral("slots"), QStringLiteral("Device slots to preselect (0: as the device names)."),
                                       QStringLiteral("k"));
    const QCommandLineOption latency(QStringLiteral("latency-ms"), QStringLiteral("Replay latency to preselect."),
                                     QStringLiteral("ms"));
    const QCommandLineOption start(QStringLiteral("start"), QStringLiteral("Start a session at once."));
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Save the view chosen with --view to FILE and quit (session views: when the session ends)."),
        QStringLiteral("file"));
    const QCommandLineOption compare(QStringLiteral("compare"),
                                     QStringLiteral("Open the GPU comparison (same as --view compare)."));
    const QCommandLineOption view(QStringLiteral("view"),
                                  QStringLiteral("What --screenshot saves: setup, session (default), effects, detail, "
                                                 "compare, compare-landscapes or slots."),
                                  QStringLiteral("name"), QStringLiteral("session"));
    const QCommandLineOption palette(QStringLiteral("palette"),
                                     QStringLiteral("Colour palette: system (default), light or dark."),
                                     QStringLiteral("name"), QStringLiteral("system"));
    parser.addOptions({database, device, strategy, budget, slotCount, latency, start, screenshot, compare, view, palette});
    parser.process(app);

    const QString viewName = parser.isSet(compare) ? QStringLiteral("compare") : parser.value(view);
    const QStringList views = dv::studio::ScreenshotHarness::views();
    if (!views.contains(viewName)) {
        std::fprintf(stderr, "--view: unknown view '%s' (expected one of %s)\n", qPrintable(viewName),
                     qPrintable(views.join(QStringLiteral(", "))));
        return 2;
    }
    const QString paletteName = parser.value(palette);
    if (!dv::studio::Palette::apply(paletteName)) {
        std::fprintf(stderr, "--palette: unknown palette '%s' (expected system, light or dark)\n", qPrintable(paletteName));
        return 2;
    }

    QString dbPath = parser.value(database);
    if (dbPath.isEmpty()) {
        const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
        QDir().mkpath(dir);
        dbPath = dir + QStringLiteral("/results.sqlite");
    }

    dv::studio::MainWindow window(dbPath);
    if (parser.isSet(device))
        window.setupPanel()->setDevice(parser.value(device));
    if (parser.isSet(strategy))
        window.setupPanel()->setStrategy(parser.value(strategy));
    if (parser.isSet(budget))
        window.setupPanel()->setBudget(parser.value(budget).toInt());
    if (parser.isSet(slotCount))
        window.setupPanel()->setSlotCount(parser.value(slotCount).toInt());
    if (parser.isSet(latency))
        window.setupPanel()->setLatencyMs(parser.value(latency).toInt());
    if (parser.isSet(screenshot))
        dv::studio::ScreenshotHarness::prepare(window);
    window.show();

    const bool comparing = viewName.startsWith(QLatin1String("compare"));
    if (comparing) {
        window.showComparison();
        dv::studio::ComparisonView* comparison = window.comparisonView();
        if (parser.isSet(screenshot))
            comparison->resize(1600, 1000);
        if (viewName == QLatin1String("compare-landscapes")) {
            comparison->tabs()->setCurrentIndex(1);
            // The two parameters that part the convolution GPUs' best configurations.
            comparison->setLandscapeAxes(QStringLiteral("block_size_x"), QStringLiteral("tile_size_x"));
        }
        if (parser.isSet(screenshot))
            dv::studio::ScreenshotHarness::saveLater(comparison, parser.value(screenshot));
        return app.exec();
    }
    if (parser.isSet(screenshot) && !dv::studio::ScreenshotHarness::arm(window, viewName, parser.value(screenshot)))
        return app.exec(); // the setup: saved as it is, no session
    if (parser.isSet(start) || parser.isSet(screenshot))
        QTimer::singleShot(0, &window, &dv::studio::MainWindow::startSession);
    return app.exec();
}
