#include "ScreenshotHarness.h"

#include "MainWindow.h"
#include "models/TrialTableModel.h"
#include "views/ParameterEffectsView.h"
#include "views/SlotLanesView.h"
#include "views/TrialBrowser.h"

#include <QApplication>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace dv::studio {

namespace {
/// The slots view is saved once this many trials are stored (a session's budget must exceed it).
constexpr int kSlotsShotAfter = 40;
} // namespace

QStringList ScreenshotHarness::views()
{
    return {QStringLiteral("setup"), QStringLiteral("session"), QStringLiteral("effects"),
            QStringLiteral("detail"), QStringLiteral("compare"), QStringLiteral("compare-landscapes"), QStringLiteral("slots")};
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
    if (view == QLatin1String("slots")) {
        // The lanes while the slots measure (a replay with a latency runs long enough), not
        // after the end when every lane is idle.
        window.viewTabs()->setCurrentWidget(window.slotLanesView());
        auto armed = std::make_shared<bool>(true);
        QObject::connect(window.slotLanesView(), &SlotLanesView::updatedLanes, &window, [&window, file, armed] {
            if (*armed && window.slotLanesView()->lanes().evaluations() >= kSlotsShotAfter) {
                *armed = false;
                saveLater(&window, file, 300);
            }
        });
        return true;
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
