#include "models/PortabilityModel.h"

#include "theme/SlowdownColors.h"
#include "theme/StatusColors.h"

#include <QFont>

#include <cmath>

namespace dv::studio {

namespace {

// Two decimals near 1x, where 1.05x vs 1.50x is the story; one beyond 10x, where it is not.
QString slowdownText(double s)
{
    return QString::number(s, 'f', s < 10.0 ? 2 : 1) + QLatin1Char('x');
}

} // namespace

void PortabilityModel::setMatrix(const Portability& portability, const PortabilityEstimate& estimates)
{
    beginResetModel();
    m_portability = portability;
    m_estimates = estimates;
    endResetModel();
}

const EstimatedSlowdown* PortabilityModel::estimate(int i, int j) const
{
    if (m_estimates.size() != m_portability.size() || !m_portability.unmeasured(i, j) || !m_estimates.at(i, j).isValid())
        return nullptr;
    return &m_estimates.at(i, j);
}

void PortabilityModel::clear()
{
    setMatrix(Portability());
}

int PortabilityModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_portability.size();
}

int PortabilityModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_portability.size();
}

QVariant PortabilityModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int i = index.row(), j = index.column();
    const double s = m_portability.slowdown(i, j);
    const Status status = m_portability.status(i, j);
    const bool ran = std::isfinite(s);
    switch (role) {
    case SlowdownRole:
        return s;
    case StatusRole:
        return int(status);
    case BestKeyRole:
        return m_portability.bestKey(i);
    case EstimateRole:
        return estimate(i, j) ? estimate(i, j)->slowdown : std::nan("");
    case Qt::FontRole:
        if (estimate(i, j)) {
            QFont italic;
            italic.setItalic(true);
            return italic;
        }
        return {};
    case Qt::DisplayRole:
        if (ran)
            return slowdownText(s);
        if (const EstimatedSlowdown* e = estimate(i, j))
            return tr("~%1 est.").arg(slowdownText(e->slowdown));
        // A session's partial landscape knows nothing of configurations it never ran: saying
        // "not in dataset" (or drawing a failure) there would be false.
        if (m_portability.unmeasured(i, j))
            return tr("not measured on %1").arg(m_portability.names()[j]);
        return status == Status::Invalid ? tr("not in dataset") : statusName(status);
    case Qt::BackgroundRole:
        return ran ? QVariant(slowdownColor(s)) : QVariant();
    case Qt::ForegroundRole:
        if (!ran && m_portability.unmeasured(i, j))
            return QVariant(); // the palette's text: no status colour for what never ran
        return ran ? slowdownTextColor(s) : statusColor(status);
    case Qt::TextAlignmentRole:
        return int(Qt::AlignCenter);
    case Qt::ToolTipRole: {
        const QString& from = m_portability.names()[i];
        const QString& on = m_portability.names()[j];
        const QString head = tr("Tuned on %1: %2").arg(from, m_portability.bestKey(i));
        if (const EstimatedSlowdown* e = estimate(i, j))
            return tr("%1\nOn %2: not measured. Estimated %3 its own best (the model's 95 %: %4 to %5, often too narrow) "
                      "by a surrogate of the %6 configurations measured there: a guess until a cross-check measures it.")
                .arg(head, on, slowdownText(e->slowdown), slowdownText(e->low), slowdownText(e->high)).arg(e->observations);
        if (!ran)
            return tr("%1\nOn %2: %3").arg(head, on, data(index, Qt::DisplayRole).toString());
        return tr("%1\nOn %2: %3 its own best (%4 ms)")
            .arg(head, on, slowdownText(s), QString::number(m_portability.bestMs(j), 'g', 4));
    }
    default:
        return {};
    }
}

QVariant PortabilityModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (section < 0 || section >= m_portability.size())
        return {};
    const QString& name = m_portability.names()[section];
    if (role == Qt::DisplayRole)
        return orientation == Qt::Vertical ? tr("tuned on %1").arg(name) : tr("on %1").arg(name);
    if (role == Qt::ToolTipRole)
        return orientation == Qt::Vertical ? tr("Best configuration of %1: %2").arg(name, m_portability.bestKey(section))
                                           : tr("%1's own best: %2 ms").arg(name, QString::number(m_portability.bestMs(section), 'g', 4));
    return {};
}

QHash<int, QByteArray> PortabilityModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(SlowdownRole, "slowdown");
    names.insert(StatusRole, "status");
    names.insert(BestKeyRole, "bestKey");
    names.insert(EstimateRole, "estimate");
    return names;
}

} // namespace dv::studio
