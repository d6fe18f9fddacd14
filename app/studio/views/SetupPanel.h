#pragma once

#include "run/SessionRunner.h"

#include <QWidget>

class QAction;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QPushButton;
class QSpinBox;
class QTabWidget;

namespace dv::studio {

class SpaceEditor;
class StrategyOptionsWidget;

/// Where and how to tune: device, strategy and its options, budget and stop conditions, seed;
/// a second tab edits a configuration space. Its Start/Pause/Resume/Stop buttons trigger the
/// window's actions (and follow their enabled state). It only collects choices; the main
/// window starts the session.
class SetupPanel : public QWidget {
    Q_OBJECT
public:
    explicit SetupPanel(QWidget* parent = nullptr);

    /// The request described by the widgets (the database path is the window's).
    RunRequest request() const;
    /// While a session runs, the choices that made it cannot be edited.
    void setRunning(bool running);
    /// The buttons trigger these actions and are enabled when they are.
    void bindActions(QAction* start, QAction* pause, QAction* resume, QAction* stop);

    /// Selects a device by id, adding it to the list if it is a path or worker the user typed.
    void setDevice(const QString& id);
    QString deviceId() const;
    void setStrategy(const QString& name);
    QString strategy() const;
    void setBudget(int evaluations);
    int budget() const;
    void setLatencyMs(int ms);
    /// Device slots (LaunchRequest::slotCount): 0 as many as the device id names.
    void setSlotCount(int count);
    int slotCount() const;

    SpaceEditor* spaceEditor() const { return m_spaceEditor; }
    StrategyOptionsWidget* strategyOptions() const { return m_options; }
    /// Brings the space editor's tab to the front.
    void showSpaceEditor();

private:
    void loadDeviceSpace();

    QTabWidget* m_tabs;
    QComboBox* m_device;
    QComboBox* m_strategy;
    StrategyOptionsWidget* m_options;
    QSpinBox* m_budget;
    QDoubleSpinBox* m_timeLimit;
    QSpinBox* m_patience;
    QSpinBox* m_seed;
    QSpinBox* m_latency;
    QSpinBox* m_slots;
    QCheckBox* m_narrow;
    SpaceEditor* m_spaceEditor;
    QPushButton* m_start;
    QPushButton* m_pause;
    QPushButton* m_resume;
    QPushButton* m_stop;
};

} // namespace dv::studio
