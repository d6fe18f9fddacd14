#pragma once

#include "session/Trial.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace dv::studio {

class TrialDetailView;
class TrialFilterProxy;
class TrialTableModel;

/// The trial table with its filter bar (status, and a query: words or name=value) and, beside
/// it, the detail of the selected trial. Sorting and filtering live in a TrialFilterProxy over
/// the window's TrialTableModel, so the model stays the plain list of trials.
class TrialBrowser : public QWidget {
    Q_OBJECT
public:
    explicit TrialBrowser(TrialTableModel* model, QWidget* parent = nullptr);

    QTableView* view() const { return m_view; }
    TrialFilterProxy* proxy() const { return m_proxy; }
    TrialDetailView* detail() const { return m_detail; }
    QComboBox* statusCombo() const { return m_status; }
    QLineEdit* queryEdit() const { return m_query; }

    /// Selects (and scrolls to) the fastest trial of this configuration, clearing a filter that
    /// hides it. Returns false when no trial has that configuration key.
    bool selectConfiguration(const QString& configKey);

signals:
    /// The current row changed to this trial (by click, keys or selectConfiguration()).
    void trialSelected(const dv::Trial& trial);

private:
    void onCurrentChanged();
    void updateCount();

    TrialTableModel* m_model;
    TrialFilterProxy* m_proxy;
    QComboBox* m_status;
    QLineEdit* m_query;
    QLabel* m_count;
    QTableView* m_view;
    TrialDetailView* m_detail;
};

} // namespace dv::studio
