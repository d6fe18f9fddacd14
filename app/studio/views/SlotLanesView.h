#pragma once

#include "models/SlotLanes.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QTableWidget;

namespace dv::studio {

/// A lane per device slot of the running session(s): the configuration in flight and for how
/// long, the last result (failures in their status colour), evaluations and failures, or the
/// reason a slot's device was lost; throughput above. Thin: SlotLanes holds the numbers, fed
/// by the slots below (SessionRunner's signals), and the table is redrawn at most once a second.
class SlotLanesView : public QWidget {
    Q_OBJECT
public:
    explicit SlotLanesView(QWidget* parent = nullptr);

    const SlotLanes& lanes() const { return m_lanes; }
    QTableWidget* table() const { return m_table; }
    /// "12.0 evaluations/min over the last minute, 11.5 overall (40 evaluated on the slots)"
    QString throughputText() const;

public slots:
    /// A new run: forgets the lanes and restarts the clock.
    void begin();
    void addSession(qint64 sessionId, const QString& gpu, int slotCount);
    void onSlotStarted(qint64 sessionId, int slot, const QJsonObject& config);
    void onTrial(const dv::Trial& trial);
    void onSlotLost(qint64 sessionId, int slot, const QString& why);
    /// The run ended: the running times stop.
    void end();
    /// Redraws the table from the lanes now.
    void refresh();

signals:
    /// After the table shows the lanes anew (tests, screenshots).
    void updatedLanes();

private:
    void scheduleRefresh();

    SlotLanes m_lanes;
    QElapsedTimer m_clock;
    QTimer m_tick;    ///< while running: the "running for" times advance
    QTimer m_redraw;  ///< coalesces signals into one redraw
    bool m_running = false;
    QLabel* m_throughput;
    QTableWidget* m_table;
};

} // namespace dv::studio
