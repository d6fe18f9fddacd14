#include "SessionListModel.h"

#include <QLocale>

namespace dv::studio {

void SessionListModel::setSessions(const QVector<SessionRecord>& sessions)
{
    beginResetModel();
    m_sessions = sessions;
    endResetModel();
}

int SessionListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_sessions.size());
}

int SessionListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SessionListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SessionRecord& s = m_sessions[index.row()];
    if (role == SessionIdRole)
        return s.id;
    if (role == DeviceIdRole)
        return s.device.id;
    if (role == Qt::ToolTipRole)
        return s.device.id;
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case IdColumn:
        return s.id;
    case KernelColumn:
        return s.kernel;
    case DeviceColumn:
        return s.device.name.isEmpty() ? s.device.id : s.device.name;
    case StrategyColumn:
        return s.strategy;
    case BestColumn:
        return s.bestMs ? QVariant(QString::number(*s.bestMs, 'g', 5)) : QVariant();
    case EvaluationsColumn:
        return s.trialCount;
    case StateColumn:
        return s.state;
    case DateColumn:
        return QLocale().toString(s.createdAt.toLocalTime(), QLocale::ShortFormat);
    default:
        return {};
    }
}

QVariant SessionListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IdColumn: return tr("#");
    case KernelColumn: return tr("Kernel");
    case DeviceColumn: return tr("Device");
    case StrategyColumn: return tr("Strategy");
    case BestColumn: return tr("Best (ms)");
    case EvaluationsColumn: return tr("Evaluations");
    case StateColumn: return tr("State");
    case DateColumn: return tr("Started");
    default: return {};
    }
}

} // namespace dv::studio
