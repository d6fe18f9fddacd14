#pragma once

#include "analysis/CrossCheck.h"
#include "analysis/Landscape.h"
#include "views/CrossCheckDialog.h"

#include <QList>
#include <QPointer>
#include <QVector>
#include <QWidget>

#include <vector>

class QLabel;
class QPushButton;

namespace dv::studio {

/// Under the portability matrix: what the compared sessions never measured ("2 cells are
/// estimates: 6 configurations never ran on the other GPU") and a "Cross-check…" button that
/// opens CrossCheckDialog to measure them. Hidden when nothing is missing. The plan is core's
/// (CrossCheck::plan); this widget only says it and forwards the result.
class CrossCheckBar : public QWidget {
    Q_OBJECT
public:
    explicit CrossCheckBar(QWidget* parent = nullptr);

    /// The compared landscapes and the stored session behind each (0: a dataset).
    void setComparison(const QString& databasePath, const std::vector<Landscape>& landscapes, const QList<qint64>& sessionIds);
    const QVector<CrossCheckTarget>& targets() const { return m_targets; }
    QString text() const;
    QPushButton* button() const { return m_button; }
    /// The dialog of the last click, while it is open (tests drive it).
    CrossCheckDialog* dialog() const { return m_dialog.data(); }

public slots:
    void openDialog();

signals:
    /// A cross-check stored its measurements: the compared sessions should be read again.
    void measured();

private:
    QString m_databasePath;
    QVector<CrossCheckTarget> m_targets;
    QLabel* m_label;
    QPushButton* m_button;
    QPointer<CrossCheckDialog> m_dialog;
};

} // namespace dv::studio
