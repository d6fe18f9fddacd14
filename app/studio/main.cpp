#include "ComparisonView.h"
#include "MainWindow.h"
#include "ParameterEffectsView.h"
#include "SetupPanel.h"
#include "TrialBrowser.h"
#include "TrialTableModel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QPalette>
#include <QSplitter>
#include <QStandardPaths>
#include <QStyle>
#include <QStyleFactory>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

namespace {

// A dark palette for Fusion (the one style that honours every palette role on every platform).
QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x30), base(0x1e, 0x1f, 0x22), text(0xe6, 0xe6, 0xe6);
    const QColor disabled(0x80, 0x80, 0x80), highlight(0x2f, 0x65, 0xca);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabled);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::red);
    p.setColor(QPalette::Link, QColor(0x6c, 0xa8, 0xff));
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Light, QColor(0x45, 0x47, 0x4a));
    p.setColor(QPalette::Midlight, QColor(0x3a, 0x3c, 0x3f));
    p.setColor(QPalette::Mid, QColor(0x25, 0x26, 0x28));
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
    p.setColor(QPalette::Shadow, Qt::black);
    for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabled);
    return p;
}

// Saves `widget` to `file` and quits: after `delayMs`, so queued replots have painted.
void saveLater(QWidget* widget, const QString& file, int delayMs = 700)
{
    QTimer::singleShot(delayMs, widget, [widget, file] {
        const bool saved = widget->grab().save(file);
        std::fprintf(stderr, "%s %s\n", saved ? "saved" : "could not save", qPrintable(file));
        QApplication::exit(saved ? 0 : 1);
    });
}

} // namespace

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
    const QCommandLineOption start(QStringLiteral("start"), QStringLiteral("Start a session at once."));
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Save the view chosen with --view to FILE and quit (session views: when the session ends)."),
        QStringLiteral("file"));
    const QCommandLineOption compare(QStringLiteral("compare"),
                                     QStringLiteral("Open the GPU comparison (same as --view compare)."));
    const QCommandLineOption view(QStringLiteral("view"),
                                  QStringLiteral("What --screenshot saves: setup, session (default), effects, detail, "
                                                 "compare or compare-landscapes."),
                                  QStringLiteral("name"), QStringLiteral("session"));
    const QCommandLineOption palette(QStringLiteral("palette"),
                                     QStringLiteral("Colour palette: system (default), light or dark."),
                                     QStringLiteral("name"), QStringLiteral("system"));
    parser.addOptions({database, device, strategy, budget, start, screenshot, compare, view, palette});
    parser.process(app);

    const QString viewName = parser.isSet(compare) ? QStringLiteral("compare") : parser.value(view);
    const QStringList views = {QStringLiteral("setup"), QStringLiteral("session"), QStringLiteral("effects"),
                               QStringLiteral("detail"), QStringLiteral("compare"), QStringLiteral("compare-landscapes")};
    if (!views.contains(viewName)) {
        std::fprintf(stderr, "--view: unknown view '%s' (expected one of %s)\n", qPrintable(viewName),
                     qPrintable(views.join(QStringLiteral(", "))));
        return 2;
    }
    const QString paletteName = parser.value(palette);
    if (paletteName == QLatin1String("dark") || paletteName == QLatin1String("light")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(paletteName == QLatin1String("dark") ? darkPalette()
                                                                       : QApplication::style()->standardPalette());
    } else if (paletteName != QLatin1String("system")) {
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
    if (parser.isSet(screenshot)) {
        // One size for every screenshot, whatever the saved layout: plots above, table below.
        window.resize(1600, 1000);
        if (auto* split = window.findChild<QSplitter*>(QStringLiteral("viewSplitter")))
            split->setSizes({560, 400});
    }
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
            saveLater(comparison, parser.value(screenshot));
        return app.exec();
    }
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        if (viewName == QLatin1String("setup")) {
            saveLater(&window, file);
            return app.exec();
        }
        QObject::connect(&window, &dv::studio::MainWindow::sessionEnded, &window, [&window, file, viewName] {
            if (viewName == QLatin1String("effects")) {
                window.viewTabs()->setCurrentWidget(window.effectsView());
                window.effectsView()->refresh();
            } else if (viewName == QLatin1String("detail")) {
                // The fastest trial, as a click on its landscape cell would select it.
                dv::studio::TrialTableModel* model = window.trialModel();
                int best = -1;
                for (int row = 0; row < model->rowCount(); ++row) {
                    const dv::Measurement& m = model->trial(row).measurement;
                    if (m.isOk() && (best < 0 || m.objectiveMs < model->trial(best).measurement.objectiveMs))
                        best = row;
                }
                if (best >= 0)
                    window.trialBrowser()->selectConfiguration(model->trial(best).configKey);
            }
            saveLater(&window, file);
        });
    }
    if (parser.isSet(start) || parser.isSet(screenshot))
        QTimer::singleShot(0, &window, &dv::studio::MainWindow::startSession);
    return app.exec();
}
