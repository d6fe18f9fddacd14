#include "StudioSettings.h"

#include "views/SetupPanel.h"

#include <QMainWindow>
#include <QSplitter>

namespace dv::studio {

namespace {
const QString kRecent = QStringLiteral("recentFiles");
const QString kDatasetPrefix = QStringLiteral("dataset:");
const QString kSpacePrefix = QStringLiteral("space:");
} // namespace

QList<StudioSettings::RecentFile> StudioSettings::recentFiles() const
{
    QList<RecentFile> out;
    for (const QString& entry : m_settings.value(kRecent).toStringList()) {
        if (entry.startsWith(kDatasetPrefix))
            out.append(RecentFile{RecentFile::Kind::Dataset, entry.mid(kDatasetPrefix.size())});
        else if (entry.startsWith(kSpacePrefix))
            out.append(RecentFile{RecentFile::Kind::Space, entry.mid(kSpacePrefix.size())});
    }
    return out;
}

void StudioSettings::addRecentFile(const RecentFile& file)
{
    QStringList entries{(file.kind == RecentFile::Kind::Dataset ? kDatasetPrefix : kSpacePrefix) + file.path};
    for (const RecentFile& r : recentFiles()) {
        if (r.path != file.path && entries.size() < kMaxRecent)
            entries.append((r.kind == RecentFile::Kind::Dataset ? kDatasetPrefix : kSpacePrefix) + r.path);
    }
    m_settings.setValue(kRecent, entries);
}

void StudioSettings::clearRecentFiles() { m_settings.remove(kRecent); }

void StudioSettings::saveWindow(const QMainWindow& window, const QList<QSplitter*>& splitters)
{
    m_settings.setValue(QStringLiteral("window/geometry"), window.saveGeometry());
    m_settings.setValue(QStringLiteral("window/state"), window.saveState());
    for (const QSplitter* s : splitters)
        m_settings.setValue(QStringLiteral("splitters/") + s->objectName(), s->saveState());
}

bool StudioSettings::restoreWindow(QMainWindow& window, const QList<QSplitter*>& splitters) const
{
    const QByteArray geometry = m_settings.value(QStringLiteral("window/geometry")).toByteArray();
    if (geometry.isEmpty())
        return false;
    window.restoreGeometry(geometry);
    window.restoreState(m_settings.value(QStringLiteral("window/state")).toByteArray());
    for (QSplitter* s : splitters) {
        const QByteArray state = m_settings.value(QStringLiteral("splitters/") + s->objectName()).toByteArray();
        if (!state.isEmpty())
            s->restoreState(state);
    }
    return true;
}

void StudioSettings::saveSetup(const SetupPanel& panel)
{
    m_settings.setValue(QStringLiteral("setup/device"), panel.deviceId());
    m_settings.setValue(QStringLiteral("setup/strategy"), panel.strategy());
    m_settings.setValue(QStringLiteral("setup/budget"), panel.budget());
    m_settings.setValue(QStringLiteral("setup/slots"), panel.slotCount());
}

void StudioSettings::restoreSetup(SetupPanel& panel) const
{
    const QString device = m_settings.value(QStringLiteral("setup/device")).toString();
    if (!device.isEmpty())
        panel.setDevice(device);
    const QString strategy = m_settings.value(QStringLiteral("setup/strategy")).toString();
    if (!strategy.isEmpty())
        panel.setStrategy(strategy);
    if (m_settings.contains(QStringLiteral("setup/budget")))
        panel.setBudget(m_settings.value(QStringLiteral("setup/budget")).toInt());
    if (m_settings.contains(QStringLiteral("setup/slots")))
        panel.setSlotCount(m_settings.value(QStringLiteral("setup/slots")).toInt());
}

} // namespace dv::studio
