#pragma once

#include "session/ResultStore.h"

#include <QAbstractTableModel>
#include <QVector>

namespace dv::studio {

/// The sessions of a result store, newest first: what was tuned where, how, and how well. The
/// session running in this window is marked ("running now", bold) and updated in place while it
/// runs, so a selection in the list survives the refreshes.
class SessionListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IdColumn, KernelColumn, DeviceColumn, StrategyColumn, BestColumn, EvaluationsColumn,
                  StateColumn, DateColumn, ColumnCount };
    enum Roles { SessionIdRole = Qt::UserRole + 1, DeviceIdRole, LiveRole };

    using QAbstractTableModel::QAbstractTableModel;

    /// Resets the model when the list of sessions changed, else updates the rows in place.
    void setSessions(const QVector<SessionRecord>& sessions);
    /// The session running in this window (0: none).
    void setLiveSession(qint64 id);
    qint64 liveSession() const { return m_live; }
    const SessionRecord& session(int row) const { return m_sessions[row]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<SessionRecord> m_sessions;
    qint64 m_live = 0;
};

} // namespace dv::studio
