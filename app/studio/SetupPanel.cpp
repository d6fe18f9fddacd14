#include "SetupPanel.h"

#include "DeviceRegistry.h"
#include "StrategyFactory.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QPushButton>
#include <QSpinBox>

namespace dv::studio {

SetupPanel::SetupPanel(QWidget* parent)
    : QWidget(parent)
    , m_device(new QComboBox(this))
    , m_strategy(new QComboBox(this))
    , m_budget(new QSpinBox(this))
    , m_seed(new QSpinBox(this))
    , m_latency(new QSpinBox(this))
    , m_start(new QPushButton(tr("&Start"), this))
    , m_stop(new QPushButton(tr("S&top"), this))
{
    m_device->setObjectName(QStringLiteral("deviceCombo"));
    m_strategy->setObjectName(QStringLiteral("strategyCombo"));
    m_budget->setObjectName(QStringLiteral("budgetSpin"));
    m_seed->setObjectName(QStringLiteral("seedSpin"));
    m_latency->setObjectName(QStringLiteral("latencySpin"));
    m_start->setObjectName(QStringLiteral("startButton"));
    m_stop->setObjectName(QStringLiteral("stopButton"));

    // Editable: a Kernel Tuner cache path or a "worker:..." id can be typed in.
    m_device->setEditable(true);
    m_device->addItems(DeviceRegistry::builtinReplayIds());
    m_device->setMinimumContentsLength(24);
    m_device->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_strategy->addItems(StrategyFactory::names());
    m_strategy->setCurrentText(QStringLiteral("random"));
    m_budget->setRange(0, 1000000);
    m_budget->setValue(200);
    m_budget->setSpecialValueText(tr("until exhausted"));
    m_budget->setSuffix(tr(" evaluations"));
    m_seed->setRange(0, 1 << 30);
    m_seed->setValue(1);
    m_latency->setRange(0, 10000);
    m_latency->setSuffix(tr(" ms"));
    m_latency->setToolTip(tr("Replay devices answer at once; a pause per evaluation lets you watch a session unfold."));
    m_stop->setEnabled(false);

    auto* form = new QFormLayout(this);
    form->addRow(tr("&Device:"), m_device);
    form->addRow(tr("S&trategy:"), m_strategy);
    form->addRow(tr("&Budget:"), m_budget);
    form->addRow(tr("S&eed:"), m_seed);
    form->addRow(tr("Replay &latency:"), m_latency);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    form->addRow(buttons);

    connect(m_start, &QPushButton::clicked, this, &SetupPanel::startRequested);
    connect(m_stop, &QPushButton::clicked, this, &SetupPanel::stopRequested);
}

RunRequest SetupPanel::request() const
{
    RunRequest r;
    r.deviceId = m_device->currentText().trimmed();
    r.options.strategy = m_strategy->currentText();
    r.options.maxEvaluations = m_budget->value();
    r.options.seed = quint64(m_seed->value());
    r.simulatedLatencyMs = m_latency->value();
    return r;
}

void SetupPanel::setRunning(bool running)
{
    m_start->setEnabled(!running);
    m_stop->setEnabled(running);
    for (QWidget* w : {static_cast<QWidget*>(m_device), static_cast<QWidget*>(m_strategy),
                       static_cast<QWidget*>(m_budget), static_cast<QWidget*>(m_seed)})
        w->setEnabled(!running);
}

void SetupPanel::setDevice(const QString& id)
{
    if (m_device->findText(id) < 0)
        m_device->addItem(id);
    m_device->setCurrentText(id);
}

void SetupPanel::setStrategy(const QString& name) { m_strategy->setCurrentText(name); }
void SetupPanel::setBudget(int evaluations) { m_budget->setValue(evaluations); }

} // namespace dv::studio
