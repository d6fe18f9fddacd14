#include "views/SetupPanel.h"

#include "device/DeviceRegistry.h"
#include "search/StrategyFactory.h"
#include "views/SpaceEditor.h"
#include "views/StrategyOptionsWidget.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QJsonDocument>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

namespace dv::studio {

SetupPanel::SetupPanel(QWidget* parent)
    : QWidget(parent)
    , m_tabs(new QTabWidget(this))
    , m_device(new QComboBox(this))
    , m_strategy(new QComboBox(this))
    , m_options(new StrategyOptionsWidget(this))
    , m_budget(new QSpinBox(this))
    , m_timeLimit(new QDoubleSpinBox(this))
    , m_patience(new QSpinBox(this))
    , m_seed(new QSpinBox(this))
    , m_latency(new QSpinBox(this))
    , m_slots(new QSpinBox(this))
    , m_narrow(new QCheckBox(tr("only the Space tab's values and constraints"), this))
    , m_spaceEditor(new SpaceEditor(this))
    , m_start(new QPushButton(tr("&Start"), this))
    , m_pause(new QPushButton(tr("&Pause"), this))
    , m_resume(new QPushButton(tr("Res&ume"), this))
    , m_stop(new QPushButton(tr("S&top"), this))
{
    m_tabs->setObjectName(QStringLiteral("setupTabs"));
    m_device->setObjectName(QStringLiteral("deviceCombo"));
    m_strategy->setObjectName(QStringLiteral("strategyCombo"));
    m_budget->setObjectName(QStringLiteral("budgetSpin"));
    m_timeLimit->setObjectName(QStringLiteral("timeLimitSpin"));
    m_patience->setObjectName(QStringLiteral("patienceSpin"));
    m_seed->setObjectName(QStringLiteral("seedSpin"));
    m_latency->setObjectName(QStringLiteral("latencySpin"));
    m_slots->setObjectName(QStringLiteral("slotsSpin"));
    m_narrow->setObjectName(QStringLiteral("narrowCheck"));
    m_narrow->setToolTip(tr("Search only the configurations of the device's space that the Space tab allows "
                            "(fewer values, extra constraints). Off: the device's whole space."));
    m_start->setObjectName(QStringLiteral("startButton"));
    m_pause->setObjectName(QStringLiteral("pauseButton"));
    m_resume->setObjectName(QStringLiteral("resumeButton"));
    m_stop->setObjectName(QStringLiteral("stopButton"));

    // Editable: a Kernel Tuner cache path or a "worker:..." id can be typed in.
    m_device->setEditable(true);
    m_device->addItems(DeviceRegistry::builtinReplayIds());
    // The GPU workers this installation has (cuda:0, hip:0, triton:0), after the recordings;
    // each starts its worker only when a session opens it.
    for (const DeviceRegistry::Entry& worker : DeviceRegistry::namedWorkers()) {
        m_device->addItem(worker.id);
        m_device->setItemData(m_device->count() - 1, worker.description, Qt::ToolTipRole);
    }
    m_device->setMinimumContentsLength(24);
    m_device->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_strategy->addItems(StrategyFactory::names());
    connect(m_strategy, &QComboBox::currentTextChanged, m_options, &StrategyOptionsWidget::setStrategy);
    m_strategy->setCurrentText(StrategyFactory::defaultName());
    m_budget->setRange(0, 1000000);
    m_budget->setValue(200);
    m_budget->setSpecialValueText(tr("until exhausted"));
    m_budget->setSuffix(tr(" evaluations"));
    m_timeLimit->setRange(0, 7 * 24 * 3600);
    m_timeLimit->setDecimals(0);
    m_timeLimit->setSpecialValueText(tr("none"));
    m_timeLimit->setSuffix(tr(" s"));
    m_timeLimit->setToolTip(tr("Stop after this much wall time (over all runs of the session)."));
    m_patience->setRange(0, 1000000);
    m_patience->setSpecialValueText(tr("never"));
    m_patience->setSuffix(tr(" evaluations"));
    m_patience->setToolTip(tr("Stop after this many evaluations without a better time."));
    m_seed->setRange(0, 1 << 30);
    m_seed->setValue(int(StrategyFactory::kDefaultSeed));
    m_latency->setRange(0, 10000);
    m_latency->setSuffix(tr(" ms"));
    m_latency->setToolTip(tr("Replay devices answer at once; a pause per evaluation lets you watch a session unfold."));

    // 0 is "as the device names": one slot per GPU of a GPU list, else one. The engine's own
    // limit (DeviceRegistry::kMaxSlots) is higher; 64 is what one host or a share of a cluster gives.
    m_slots->setRange(0, 64);
    m_slots->setSpecialValueText(tr("as the device names"));
    m_slots->setSuffix(tr(" slots"));
    m_slots->setToolTip(tr("<p>How many evaluations run at once, one per device slot.</p>"
                           "<p><b>As the device names</b>: a GPU list in the device id gives one slot per GPU "
                           "(<tt>cuda:0-3/gemm</tt>, <tt>triton:0,2/matmul</tt>, <tt>worker:gpus=0-3 CMD</tt>); "
                           "any other device has one slot.</p>"
                           "<p><b>K</b>: a Ray slot command (<tt>worker:... python3 kernels/ray/dejavu_ray_slot.py "
                           "--address ADDRESS ...</tt>, see docs/ray.md) runs K Ray actors, each on a GPU of the "
                           "cluster; a replay runs K replays, each pausing the replay latency below (a CPU stand-in "
                           "for K GPUs). With a GPU list, K must be the number of GPUs it names.</p>"
                           "<p>GPUs of several types run one session per type, side by side in the comparison.</p>"));

    auto* run = new QWidget(this);
    auto* runLayout = new QVBoxLayout(run);
    auto* form = new QFormLayout;
    runLayout->addLayout(form);
    runLayout->addStretch(1); // the form keeps its height; spare room stays below it
    form->addRow(tr("&Device:"), m_device);
    form->addRow(tr("S&trategy:"), m_strategy);
    form->addRow(tr("Options:"), m_options);
    form->addRow(tr("&Budget:"), m_budget);
    form->addRow(tr("Time &limit:"), m_timeLimit);
    form->addRow(tr("Pat&ience:"), m_patience);
    form->addRow(tr("S&eed:"), m_seed);
    form->addRow(tr("Space:"), m_narrow);
    form->addRow(tr("Replay &latency:"), m_latency);
    form->addRow(tr("Sl&ots:"), m_slots);
    m_options->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    m_tabs->addTab(run, tr("Run"));
    m_tabs->addTab(m_spaceEditor, tr("Space"));

    auto* buttons = new QGridLayout;
    buttons->addWidget(m_start, 0, 0);
    buttons->addWidget(m_pause, 0, 1);
    buttons->addWidget(m_resume, 0, 2);
    buttons->addWidget(m_stop, 0, 3);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs, 1);
    layout->addLayout(buttons);
    for (QPushButton* b : {m_start, m_pause, m_resume, m_stop})
        b->setEnabled(false);

    connect(m_spaceEditor, &SpaceEditor::deviceSpaceRequested, this, &SetupPanel::loadDeviceSpace);
}

void SetupPanel::bindActions(QAction* start, QAction* pause, QAction* resume, QAction* stop)
{
    const std::pair<QPushButton*, QAction*> pairs[] = {{m_start, start}, {m_pause, pause}, {m_resume, resume}, {m_stop, stop}};
    for (const auto& [button, action] : pairs) {
        button->setEnabled(action->isEnabled());
        button->setToolTip(action->toolTip());
        connect(button, &QPushButton::clicked, action, &QAction::trigger);
        connect(action, &QAction::changed, button, [button = button, action = action] { button->setEnabled(action->isEnabled()); });
    }
}

RunRequest SetupPanel::request() const
{
    RunRequest r;
    r.deviceId = m_device->currentText().trimmed();
    r.options.strategy = m_strategy->currentText();
    r.options.strategyOptions = m_options->options();
    r.options.maxEvaluations = m_budget->value();
    r.options.maxSeconds = m_timeLimit->value();
    r.options.stallEvaluations = m_patience->value();
    r.options.seed = quint64(m_seed->value());
    r.simulatedLatencyMs = m_latency->value();
    r.slotCount = m_slots->value();
    r.warmStartDeviceId = m_options->warmStartDeviceId();
    if (m_narrow->isChecked()) {
        const QString source = tr("the space editor");
        auto file = m_spaceEditor->draft().toSpaceFile();
        const QJsonDocument doc = file ? QJsonDocument::fromJson(file.value()) : QJsonDocument();
        if (!file)
            r.spaceError = tr("%1: %2").arg(source, file.error());
        else if (!doc.isObject())
            r.spaceError = tr("%1: the edited space is not a JSON object").arg(source);
        else {
            r.options.space = doc.object();
            r.options.spaceSource = source;
        }
    }
    return r;
}

void SetupPanel::setRunning(bool running)
{
    for (QWidget* w : std::initializer_list<QWidget*>{m_device, m_strategy, m_options, m_budget, m_timeLimit, m_patience, m_seed, m_slots})
        w->setEnabled(!running);
}

void SetupPanel::setDevice(const QString& id)
{
    if (m_device->findText(id) < 0)
        m_device->addItem(id);
    m_device->setCurrentText(id);
}

QString SetupPanel::deviceId() const { return m_device->currentText().trimmed(); }
void SetupPanel::setStrategy(const QString& name) { m_strategy->setCurrentText(name); }
QString SetupPanel::strategy() const { return m_strategy->currentText(); }
void SetupPanel::setBudget(int evaluations) { m_budget->setValue(evaluations); }
int SetupPanel::budget() const { return m_budget->value(); }
void SetupPanel::setLatencyMs(int ms) { m_latency->setValue(ms); }
void SetupPanel::setSlotCount(int count) { m_slots->setValue(count); }
int SetupPanel::slotCount() const { return m_slots->value(); }
void SetupPanel::showSpaceEditor() { m_tabs->setCurrentWidget(m_spaceEditor); }

void SetupPanel::loadDeviceSpace()
{
    const QString id = deviceId();
    auto device = DeviceRegistry::open(id);
    if (!device) {
        QMessageBox::warning(this, tr("Cannot open the device"), device.error());
        return;
    }
    m_spaceEditor->loadSpace(device.value()->workload().space, id);
}

} // namespace dv::studio
