#pragma once

#include "base/Status.h"

#include <QHash>
#include <QSortFilterProxyModel>
#include <QStringList>

namespace dv::studio {

/// Sorting and filtering over TrialTableModel: by status (all, any failure, or one status) and by
/// a query on the configuration. The query is split at spaces; a word `name=value` keeps trials
/// whose parameter `name` has exactly that value, any other word must occur in the configuration
/// key (case-insensitive). All words must match. Colours and roles pass through unchanged.
class TrialFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    /// Status filter values besides a dv::Status (as int).
    enum StatusFilter { AllStatuses = -1, AnyFailure = -2 };

    explicit TrialFilterProxy(QObject* parent = nullptr);

    void setStatusFilter(int filter);
    int statusFilter() const { return m_status; }
    void setQuery(const QString& query);
    const QString& query() const { return m_query; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    int m_status = AllStatuses;
    QString m_query;
    QStringList m_words;                    ///< free-text words
    QHash<QString, QString> m_parameterIs;  ///< name -> value text
};

} // namespace dv::studio
