#include "models/SessionListModel.h"

#include <QFont>
#include <QLocale>

#include <algorithm>

namespace dv::studio {

void SessionListModel::setSessions(const QVector<SessionRecord>& sessions)
{
    const bool sameRows = sessions.size() == m_sessions.size()
        && std::equal(sessions.begin(), sessions.end(), m_sessions.begin(),
                      [](const SessionRecord& a, const SessionRecord& b) { return a.id == b.id; });
    if (!sameRows) {
        beginResetModel();
        m_sessions = sessions;
        endResetModel();
        return;
    }
    m_sessions = sessions;
    if (!m_sessions.isEmpty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void SessionListModel::setLiveSession(qint64 id)
{
    if (id == m_live)
        return;
    m_live = id;
    if (!m_sessions.isEmpty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
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
    const bool live = s.id == m_live && m_live != 0;
    if (role == DeviceIdRole)
        return s.device.id;
    if (role == LiveRole)
        return live;
    if (role == Qt::ToolTipRole)
        return live ? tr("%1\nRunning in this window").arg(s.device.id) : s.device.id;
    if (role == Qt::FontRole && live) {
        QFont bold;
        bold.setBold(true);
        return bold;
    }
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
        return live ? tr("running now") : s.state;
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
