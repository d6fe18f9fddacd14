#pragma once

#include <QJsonObject>
#include <QWidget>

class QComboBox;
class QLabel;
class QSpinBox;
class QStackedWidget;

namespace dv::studio {

/// The options of the selected search strategy, as core/StrategyFactory passes them on: bayes
/// has an initial design size, a candidate limit, model threads and a warm start from a
/// recorded dataset; grid, random, local and genetic take no options.
class StrategyOptionsWidget : public QWidget {
    Q_OBJECT
public:
    explicit StrategyOptionsWidget(QWidget* parent = nullptr);

    void setStrategy(const QString& name);
    /// The strategy options (without the warm-start prior, which the runner builds in its thread).
    QJsonObject options() const;
    /// The dataset whose landscape warm-starts bayes, or empty.
    QString warmStartDeviceId() const;
    void setWarmStartDeviceId(const QString& id);

private:
    QString m_strategy;
    QStackedWidget* m_pages;
    QLabel* m_none;
    QWidget* m_bayes;
    QSpinBox* m_initial;
    QSpinBox* m_candidates;
    QSpinBox* m_threads;
    QComboBox* m_warmStart;
};

} // namespace dv::studio
