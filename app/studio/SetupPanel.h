#pragma once

#include "SessionRunner.h"

#include <QWidget>

class QComboBox;
class QPushButton;
class QSpinBox;

namespace dv::studio {

/// Where and how to tune: device, strategy, budget, seed, and the Start/Stop buttons.
/// It only collects choices; the main window starts the session.
class SetupPanel : public QWidget {
    Q_OBJECT
public:
    explicit SetupPanel(QWidget* parent = nullptr);

    /// The request described by the widgets (the database path is the window's).
    RunRequest request() const;
    void setRunning(bool running);
    /// Selects a device by id, adding it to the list if it is a path or worker the user typed.
    void setDevice(const QString& id);
    void setStrategy(const QString& name);
    void setBudget(int evaluations);

signals:
    void startRequested();
    void stopRequested();

private:
    QComboBox* m_device;
    QComboBox* m_strategy;
    QSpinBox* m_budget;
    QSpinBox* m_seed;
    QSpinBox* m_latency;
    QPushButton* m_start;
    QPushButton* m_stop;
};

} // namespace dv::studio
