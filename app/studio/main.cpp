#include "ComparisonView.h"
#include "MainWindow.h"
#include "SetupPanel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QStandardPaths>
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
    const QCommandLineOption start(QStringLiteral("start"), QStringLiteral("Start a session at once."));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Start a session, save the window to FILE when it ends, and quit."),
                                        QStringLiteral("file"));
    const QCommandLineOption compare(QStringLiteral("compare"),
                                     QStringLiteral("Open the GPU comparison (with --screenshot: save it instead of a session)."));
    parser.addOptions({database, device, strategy, budget, start, screenshot, compare});
    parser.process(app);

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
    window.show();

    if (parser.isSet(compare)) {
        window.showComparison();
        if (parser.isSet(screenshot)) {
            // The comparison computes synchronously; wait for its queued replots to paint.
            QWidget* view = window.comparisonView();
            const QString file = parser.value(screenshot);
            QTimer::singleShot(500, view, [view, file] {
                const bool saved = view->grab().save(file);
                std::fprintf(stderr, "%s %s\n", saved ? "saved" : "could not save", qPrintable(file));
                QApplication::exit(saved ? 0 : 1);
            });
            return app.exec();
        }
    }
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        QObject::connect(&window, &dv::studio::MainWindow::sessionEnded, &window, [&window, file] {
            // One more redraw period so the queued replots have painted.
            QTimer::singleShot(500, &window, [&window, file] {
                const bool saved = window.grab().save(file);
                std::fprintf(stderr, "%s %s\n", saved ? "saved" : "could not save", qPrintable(file));
                QApplication::exit(saved ? 0 : 1);
            });
        });
    }
    if (parser.isSet(start) || parser.isSet(screenshot))
        QTimer::singleShot(0, &window, &dv::studio::MainWindow::startSession);
    return app.exec();
}
