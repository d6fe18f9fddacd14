#pragma once

#include "session/Trial.h"

#include <QAbstractTableModel>
#include <QStringList>
#include <QVector>

namespace dv::studio {

/// The trials of one session as a table: evaluation number, status, time, then one column per
/// parameter. Thin by design: it shows what core computed and does no arithmetic.
class TrialTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { SequenceColumn, StatusColumn, TimeColumn, SourceColumn, FirstParameterColumn };
    enum Roles {
        TrialRole = Qt::UserRole + 1, ///< the whole dv::Trial
        StatusRole,                   ///< dv::Status as int
        ObjectiveRole,                ///< double ms, NaN unless ok
        SortRole,                     ///< the cell's natural value (numbers as numbers) for sorting
    };

    using QAbstractTableModel::QAbstractTableModel;

    /// Resets the model; `parameters` name the columns after the fixed ones.
    void setTrials(const QStringList& parameters, const QVector<Trial>& trials);
    void appendTrials(const QVector<Trial>& trials);
    const Trial& trial(int row) const { return m_trials[row]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    QStringList m_parameters;
    QVector<Trial> m_trials;
};

} // namespace dv::studio
