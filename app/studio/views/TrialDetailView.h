#pragma once

#include "session/Trial.h"

#include <QHash>
#include <QWidget>

class QCustomPlot;
class QFormLayout;
class QLabel;
class QPlainTextEdit;

namespace dv::studio {

/// One trial in full: its configuration, status and time (named by the statistic the search ranked
/// by: median, mean or the only sample), the timing samples as a small plot
/// with the 20th and 80th percentiles (SampleSummary, from core, or the worker's own p20/p80),
/// compile time, registers, shared memory, clock and temperature from the measurement's extra,
/// and the error text of a failure.
class TrialDetailView : public QWidget {
    Q_OBJECT
public:
    explicit TrialDetailView(QWidget* parent = nullptr);

    void showTrial(const Trial& trial);
    void clear();

    /// The text of a field by its label ("Status", "Time (ranked)", "p20 / p80", "Registers", ...);
    /// tests read it.
    QString field(const QString& label) const;
    QString errorText() const;
    QCustomPlot* samplesPlot() const { return m_samples; }

protected:
    void changeEvent(QEvent* event) override;

private:
    QLabel* addField(const QString& label);

    QLabel* m_title;
    QFormLayout* m_form;
    QHash<QString, QLabel*> m_fields;
    QCustomPlot* m_samples;
    QPlainTextEdit* m_error;
};

} // namespace dv::studio
