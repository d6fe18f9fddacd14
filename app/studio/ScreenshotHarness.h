#pragma once

#include <QString>
#include <QStringList>

class QWidget;

namespace dv::studio {

class MainWindow;

/// --screenshot: saves one view of the studio to an image file and quits (the documentation's
/// pictures, visual checks in CI). main() decides what to open; this class sizes the window,
/// picks the moment a view is complete and saves it.
class ScreenshotHarness {
public:
    /// The views --view names: setup, session, effects, detail, compare, compare-landscapes, slots.
    static QStringList views();
    /// One size for every screenshot, whatever the saved layout: plots above, table below.
    static void prepare(MainWindow& window);
    /// Saves `widget` to `file` and quits: after `delayMs`, so queued replots have painted.
    static void saveLater(QWidget* widget, const QString& file, int delayMs = 700);
    /// Saves the main window's `view` to `file`: the setup at once, a session view when the
    /// session ends, the slots while the session runs. True when a session must be started for it.
    static bool arm(MainWindow& window, const QString& view, const QString& file);
};

} // namespace dv::studio
