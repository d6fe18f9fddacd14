#include "ScreenshotHarness.h"

#include "MainWindow.h"
#include "models/TrialTableModel.h"
#include "views/ParameterEffectsView.h"
#include "views/TrialBrowser.h"

#include <QApplication>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

namespace dv::studio {

QStringList ScreenshotHarness::views()
{
    return {QStringLiteral("setup"), QStringLiteral("session"), QStringLiteral("effects"),
            QStringLiteral("detail"), QStringLiteral("compare"), QStringLiteral("compare-landscapes")};
}

void ScreenshotHarness::prepare(MainWindow& window)
{
    window.resize(1600, 1000);
    if (auto* split = window.findChild<QSplitter*>(QStringLiteral("viewSplitter")))
        split->setSizes({560, 400});
}

void ScreenshotHarness::saveLater(QWidget* widget, const QString& file, int delayMs)
{
    QTimer::singleShot(delayMs, widget, [widget, file] {
        const bool saved = widget->grab().save(file);
        std::fprintf(stderr, "%s %s\n", saved ? "saved" : "could not save", qPrintable(file));
        QApplication::exit(saved ? 0 : 1);
    });
}

bool ScreenshotHarness::arm(MainWindow& window, const QString& view, const QString& file)
{
    if (view == QLatin1String("setup")) {
        saveLater(&window, file);
        return false;
    }
    QObject::connect(&window, &MainWindow::sessionEnded, &window, [&window, file, view] {
        if (view == QLatin1String("effects")) {
            window.viewTabs()->setCurrentWidget(window.effectsView());
            window.effectsView()->refresh();
        } else if (view == QLatin1String("detail")) {
            // The fastest trial, as a click on its landscape cell would select it.
            TrialTableModel* model = window.trialModel();
            int best = -1;
            for (int row = 0; row < model->rowCount(); ++row) {
                const Measurement& m = model->trial(row).measurement;
                if (m.isOk() && (best < 0 || m.objectiveMs < model->trial(best).measurement.objectiveMs))
                    best = row;
            }
            if (best >= 0)
                window.trialBrowser()->selectConfiguration(model->trial(best).configKey);
        }
        saveLater(&window, file);
    });
    return true;
}

} // namespace dv::studio
