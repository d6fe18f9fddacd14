#include "models/TrialTableModel.h"

#include "session/Session.h" // Q_DECLARE_METATYPE(dv::Trial)
#include "theme/StatusColors.h"

#include <QJsonValue>

namespace dv::studio {

void TrialTableModel::setTrials(const QStringList& parameters, const QVector<Trial>& trials)
{
    beginResetModel();
    m_parameters = parameters;
    m_trials = trials;
    endResetModel();
}

void TrialTableModel::appendTrials(const QVector<Trial>& trials)
{
    if (trials.isEmpty())
        return;
    beginInsertRows({}, int(m_trials.size()), int(m_trials.size() + trials.size() - 1));
    m_trials += trials;
    endInsertRows();
}

int TrialTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_trials.size());
}

int TrialTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : FirstParameterColumn + int(m_parameters.size());
}

QVariant TrialTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Trial& t = m_trials[index.row()];
    const Measurement& m = t.measurement;
    switch (role) {
    case TrialRole:
        return QVariant::fromValue(t);
    case StatusRole:
        return int(m.status);
    case ObjectiveRole:
        return m.objectiveMs;
    case Qt::ForegroundRole:
        return index.column() == StatusColumn ? QVariant(statusColor(m.status)) : QVariant();
    case Qt::ToolTipRole:
        return m.error.isEmpty() ? QVariant() : QVariant(m.error);
    case Qt::TextAlignmentRole:
        return index.column() == StatusColumn ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    case SortRole:
        if (index.column() == TimeColumn)
            return m.objectiveMs;
        break;
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (index.column()) {
    case SequenceColumn:
        return t.sequence;
    case StatusColumn:
        return statusName(m.status);
    case TimeColumn:
        return m.isOk() ? QVariant(QString::number(m.objectiveMs, 'g', 5)) : QVariant();
    case SourceColumn:
        return t.fromStore ? tr("store") : tr("device");
    default:
        return t.config.value(m_parameters[index.column() - FirstParameterColumn]).toVariant();
    }
}

QVariant TrialTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= columnCount())
        return {};
    switch (section) {
    case SequenceColumn:
        return tr("#");
    case StatusColumn:
        return tr("Status");
    case TimeColumn:
        return tr("Time (ms)");
    case SourceColumn:
        return tr("Source");
    default:
        return m_parameters[section - FirstParameterColumn];
    }
}

QHash<int, QByteArray> TrialTableModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(TrialRole, "trial");
    names.insert(StatusRole, "status");
    names.insert(ObjectiveRole, "objective");
    names.insert(SortRole, "sort");
    return names;
}

} // namespace dv::studio
