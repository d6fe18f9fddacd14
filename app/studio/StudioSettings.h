#pragma once

#include <QSettings>
#include <QStringList>

class QMainWindow;
class QSplitter;

namespace dv::studio {

class SetupPanel;

/// What the studio remembers between runs, in the application's QSettings (organisation
/// "dejavu", application "dejavu-studio"): window geometry and dock/toolbar state, splitter
/// sizes, recent files, and the last device, strategy, budget and slot count. Tests point QSettings at a
/// temporary directory (QSettings::setPath) so they never touch the user's configuration.
class StudioSettings {
public:
    static constexpr int kMaxRecent = 8;

    /// A recently opened file: a dataset (Kernel Tuner cache) or a space file.
    struct RecentFile {
        enum class Kind { Dataset, Space };
        Kind kind = Kind::Dataset;
        QString path;
    };

    StudioSettings() = default;

    QList<RecentFile> recentFiles() const;
    /// Puts `file` first, dropping an older entry of the same path and the oldest beyond kMaxRecent.
    void addRecentFile(const RecentFile& file);
    void clearRecentFiles();

    /// Geometry and state of the window; splitters are saved by object name.
    void saveWindow(const QMainWindow& window, const QList<QSplitter*>& splitters);
    /// Returns false when nothing was saved yet (first start): the window keeps its defaults.
    bool restoreWindow(QMainWindow& window, const QList<QSplitter*>& splitters) const;

    void saveSetup(const SetupPanel& panel);
    void restoreSetup(SetupPanel& panel) const;

private:
    mutable QSettings m_settings;
};

} // namespace dv::studio
