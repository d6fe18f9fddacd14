#include "models/TrialFilterProxy.h"

#include "models/TrialTableModel.h"
#include "session/Session.h" // Q_DECLARE_METATYPE(dv::Trial)
#include "views/ValueText.h"

namespace dv::studio {

TrialFilterProxy::TrialFilterProxy(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(TrialTableModel::SortRole);
}

void TrialFilterProxy::setStatusFilter(int filter)
{
    if (filter == m_status)
        return;
    m_status = filter;
    invalidateRowsFilter();
}

void TrialFilterProxy::setQuery(const QString& query)
{
    if (query == m_query)
        return;
    m_query = query;
    m_words.clear();
    m_parameterIs.clear();
    const QStringList words = query.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const QString& w : words) {
        const qsizetype eq = w.indexOf(QLatin1Char('='));
        if (eq > 0)
            m_parameterIs.insert(w.left(eq), w.mid(eq + 1));
        else
            m_words.append(w);
    }
    invalidateRowsFilter();
}

bool TrialFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (m_status != AllStatuses) {
        const int status = index.data(TrialTableModel::StatusRole).toInt();
        if (m_status == AnyFailure ? status == int(Status::Ok) : status != m_status)
            return false;
    }
    if (m_words.isEmpty() && m_parameterIs.isEmpty())
        return true;
    const Trial trial = index.data(TrialTableModel::TrialRole).value<Trial>();
    for (auto it = m_parameterIs.cbegin(); it != m_parameterIs.cend(); ++it) {
        if (!trial.config.contains(it.key()) || valueText(trial.config.value(it.key())) != it.value())
            return false;
    }
    for (const QString& w : m_words) {
        if (!trial.configKey.contains(w, Qt::CaseInsensitive))
            return false;
    }
    return true;
}

} // namespace dv::studio
