#include "views/StrategyOptionsWidget.h"

#include "device/DeviceRegistry.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>
#include <QStackedWidget>
#include <QThread>
#include <QVBoxLayout>

namespace dv::studio {

StrategyOptionsWidget::StrategyOptionsWidget(QWidget* parent)
    : QWidget(parent)
    , m_pages(new QStackedWidget(this))
    , m_none(new QLabel(tr("This strategy has no options."), this))
    , m_bayes(new QWidget(this))
    , m_initial(new QSpinBox(m_bayes))
    , m_candidates(new QSpinBox(m_bayes))
    , m_threads(new QSpinBox(m_bayes))
    , m_warmStart(new QComboBox(m_bayes))
{
    m_initial->setObjectName(QStringLiteral("bayesInitial"));
    m_candidates->setObjectName(QStringLiteral("bayesCandidates"));
    m_threads->setObjectName(QStringLiteral("bayesThreads"));
    m_warmStart->setObjectName(QStringLiteral("warmStartCombo"));

    m_initial->setRange(0, 10000);
    m_initial->setSpecialValueText(tr("automatic"));
    m_initial->setToolTip(tr("Configurations measured before the model proposes (space-filling design); "
                             "automatic sizes it by the number of informative parameters."));
    m_candidates->setRange(100, 10000000);
    m_candidates->setValue(20000);
    m_candidates->setToolTip(tr("Largest number of untried configurations the acquisition scores per proposal."));
    m_threads->setRange(1, std::max(1, QThread::idealThreadCount()));
    m_threads->setToolTip(tr("Threads for fitting the model and scoring candidates."));
    m_warmStart->addItem(tr("none (cold start)"), QString());
    for (const QString& id : DeviceRegistry::builtinReplayIds())
        m_warmStart->addItem(id, id);
    m_warmStart->setToolTip(tr("A recorded landscape of the same kernel (another GPU or problem size): "
                               "its best configurations are tried first and it informs the model."));
    m_warmStart->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_warmStart->setMinimumContentsLength(16);

    auto* form = new QFormLayout(m_bayes);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("&Initial design:"), m_initial);
    form->addRow(tr("&Candidates:"), m_candidates);
    form->addRow(tr("T&hreads:"), m_threads);
    form->addRow(tr("&Warm start:"), m_warmStart);
    m_none->setEnabled(false);
    m_pages->addWidget(m_none);
    m_pages->addWidget(m_bayes);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_pages);
    setStrategy(QStringLiteral("random"));
}

void StrategyOptionsWidget::setStrategy(const QString& name)
{
    m_strategy = name;
    m_pages->setCurrentWidget(name == QLatin1String("bayes") ? m_bayes : static_cast<QWidget*>(m_none));
    // The stack takes the height of its current page only.
    m_none->setSizePolicy(QSizePolicy::Preferred, m_pages->currentWidget() == m_none ? QSizePolicy::Preferred : QSizePolicy::Ignored);
    m_bayes->setSizePolicy(QSizePolicy::Preferred, m_pages->currentWidget() == m_bayes ? QSizePolicy::Preferred : QSizePolicy::Ignored);
    m_pages->adjustSize();
}

QJsonObject StrategyOptionsWidget::options() const
{
    QJsonObject o;
    if (m_strategy != QLatin1String("bayes"))
        return o;
    if (m_initial->value() > 0)
        o.insert(QStringLiteral("initial"), m_initial->value());
    o.insert(QStringLiteral("candidates"), m_candidates->value());
    o.insert(QStringLiteral("threads"), m_threads->value());
    return o;
}

QString StrategyOptionsWidget::warmStartDeviceId() const
{
    return m_strategy == QLatin1String("bayes") ? m_warmStart->currentData().toString() : QString();
}

void StrategyOptionsWidget::setWarmStartDeviceId(const QString& id)
{
    const int at = m_warmStart->findData(id);
    m_warmStart->setCurrentIndex(at < 0 ? 0 : at);
}

} // namespace dv::studio
