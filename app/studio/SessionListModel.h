#pragma once

#include "ResultStore.h"

#include <QAbstractTableModel>
#include <QVector>

namespace dv::studio {

/// The sessions of a result store, newest first: what was tuned where, how, and how well.
class SessionListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IdColumn, KernelColumn, DeviceColumn, StrategyColumn, BestColumn, EvaluationsColumn,
                  StateColumn, DateColumn, ColumnCount };
    enum Roles { SessionIdRole = Qt::UserRole + 1, DeviceIdRole };

    using QAbstractTableModel::QAbstractTableModel;

    void setSessions(const QVector<SessionRecord>& sessions);
    const SessionRecord& session(int row) const { return m_sessions[row]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<SessionRecord> m_sessions;
};

} // namespace dv::studio
