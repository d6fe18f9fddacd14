#include "views/TrialDetailView.h"

#include "device/SampleSummary.h"
#include "theme/PlotTheme.h"
#include "theme/StatusColors.h"
#include "views/ValueText.h"

#include <QEvent>
#include <QFormLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>

namespace dv::studio {

namespace {

const QString kDash = QStringLiteral("—");

QString ms(double v)
{
    return std::isfinite(v) ? QStringLiteral("%1 ms").arg(QString::number(v, 'g', 5)) : kDash;
}

// A number from the measurement's extra, with a unit, or the dash when the backend did not say.
QString extraNumber(const QJsonObject& extra, const QString& key, const QString& unit)
{
    const QJsonValue v = extra.value(key);
    if (!v.isDouble())
        return kDash;
    return unit.isEmpty() ? QString::number(v.toDouble(), 'g', 6)
                          : QStringLiteral("%1 %2").arg(QString::number(v.toDouble(), 'g', 6), unit);
}

const QStringList kShownExtra = {QStringLiteral("p20_ms"), QStringLiteral("p80_ms"), QStringLiteral("registers"),
                                 QStringLiteral("shared_memory_bytes"), QStringLiteral("clock_mhz"),
                                 QStringLiteral("temperature_c")};

} // namespace

TrialDetailView::TrialDetailView(QWidget* parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_form(new QFormLayout)
    , m_samples(new QCustomPlot(this))
    , m_error(new QPlainTextEdit(this))
{
    setObjectName(QStringLiteral("trialDetail"));
    m_title->setWordWrap(true);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    for (const QString& label : {tr("Status"), tr("Time (ranked)"), tr("Samples"), tr("p20 / p80"), tr("Compile time"),
                                 tr("Registers"), tr("Shared memory"), tr("Clock"), tr("Temperature"), tr("Other")})
        addField(label);
    m_samples->setMinimumHeight(130);
    m_samples->xAxis->setLabel(tr("Sample"));
    m_samples->yAxis->setLabel(tr("Time (ms)"));
    m_samples->yAxis->setNumberFormat(QStringLiteral("gb"));
    m_samples->addGraph();
    m_samples->graph(0)->setLineStyle(QCPGraph::lsNone);
    m_samples->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, statusColor(Status::Ok), 5));
    for (int i = 0; i < 2; ++i) {
        m_samples->addGraph();
        m_samples->graph(1 + i)->setPen(QPen(QColor(0xE6, 0x9F, 0x00), 1.5, Qt::DashLine));
    }
    m_error->setReadOnly(true);
    m_error->setObjectName(QStringLiteral("trialError"));
    m_error->setPlaceholderText(tr("No error."));
    m_error->setMaximumHeight(90);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addLayout(m_form);
    layout->addWidget(m_samples, 100);
    layout->addWidget(m_error);
    layout->addStretch(1); // takes the room while the samples plot is hidden
    applyPlotTheme(m_samples, palette());
    clear();
}

QLabel* TrialDetailView::addField(const QString& label)
{
    auto* value = new QLabel(this);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    value->setWordWrap(true);
    m_form->addRow(label + QLatin1Char(':'), value);
    m_fields.insert(label, value);
    return value;
}

void TrialDetailView::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyPlotTheme(m_samples, palette());
}

QString TrialDetailView::field(const QString& label) const
{
    const QLabel* value = m_fields.value(label);
    return value ? value->text() : QString();
}

QString TrialDetailView::errorText() const
{
    return m_error->toPlainText();
}

void TrialDetailView::clear()
{
    m_title->setText(tr("Select a trial in the table to see its details."));
    for (QLabel* value : std::as_const(m_fields))
        value->setText(kDash);
    m_error->clear();
    for (int g = 0; g < m_samples->graphCount(); ++g)
        m_samples->graph(g)->data()->clear();
    m_samples->setVisible(false); // empty axes say nothing

}

void TrialDetailView::showTrial(const Trial& trial)
{
    const Measurement& m = trial.measurement;
    QStringList config;
    for (auto it = trial.config.constBegin(); it != trial.config.constEnd(); ++it)
        config.append(QStringLiteral("%1=%2").arg(it.key(), valueText(it.value())));
    m_title->setText(tr("Trial %1: %2").arg(trial.sequence).arg(config.join(QLatin1String(", "))));
    m_fields[tr("Status")]->setText(QStringLiteral("<span style='color:%1'>&#9632;</span> %2%3")
                                        .arg(statusColor(m.status).name(), statusName(m.status),
                                             trial.fromStore ? tr(" (from the result store)") : QString()));
    // Which statistic the search ranked by: a worker sends the median, a Kernel Tuner cache
    // recorded the mean; shown beside the other, an unnamed "Time" was ambiguous.
    const SampleSummary s = SampleSummary::of(m.samplesMs);
    QString ranked = kDash;
    if (m.isOk()) {
        switch (s.statisticOf(m.objectiveMs)) {
        case SampleSummary::Statistic::Median:
            ranked = tr("%1, the median of the samples").arg(ms(m.objectiveMs));
            break;
        case SampleSummary::Statistic::Mean:
            ranked = tr("%1, the mean of the samples (as recorded)").arg(ms(m.objectiveMs));
            break;
        case SampleSummary::Statistic::Single:
            ranked = tr("%1, the only sample").arg(ms(m.objectiveMs));
            break;
        case SampleSummary::Statistic::Other:
            ranked = tr("%1, as the device reported it").arg(ms(m.objectiveMs));
            break;
        }
    }
    m_fields[tr("Time (ranked)")]->setText(ranked);
    m_fields[tr("Samples")]->setText(s.count == 0 ? tr("none recorded")
                                                  : tr("%1, median %2, mean %3, min %4, max %5")
                                                        .arg(s.count)
                                                        .arg(ms(s.medianMs), ms(s.meanMs), ms(s.minMs), ms(s.maxMs)));
    // The worker's own percentiles win (it may have timed more runs than it sent back).
    const double p20 = m.extra.value(QStringLiteral("p20_ms")).toDouble(s.p20Ms);
    const double p80 = m.extra.value(QStringLiteral("p80_ms")).toDouble(s.p80Ms);
    m_fields[tr("p20 / p80")]->setText(std::isfinite(p20) ? QStringLiteral("%1 / %2").arg(ms(p20), ms(p80)) : kDash);
    m_fields[tr("Compile time")]->setText(ms(m.compileTimeMs));
    m_fields[tr("Registers")]->setText(extraNumber(m.extra, QStringLiteral("registers"), tr("per thread")));
    const QJsonValue shared = m.extra.value(QStringLiteral("shared_memory_bytes"));
    m_fields[tr("Shared memory")]->setText(shared.isDouble()
                                               ? tr("%1 KiB per block").arg(QString::number(shared.toDouble() / 1024.0, 'g', 4))
                                               : kDash);
    m_fields[tr("Clock")]->setText(extraNumber(m.extra, QStringLiteral("clock_mhz"), tr("MHz")));
    m_fields[tr("Temperature")]->setText(extraNumber(m.extra, QStringLiteral("temperature_c"), tr("°C")));
    QStringList other;
    for (auto it = m.extra.constBegin(); it != m.extra.constEnd(); ++it) {
        if (kShownExtra.contains(it.key()))
            continue;
        const QJsonValue v = it.value();
        const double d = v.toDouble();
        const bool fraction = v.isDouble() && d != std::floor(d);
        other.append(QStringLiteral("%1=%2").arg(it.key(), fraction ? QString::number(d, 'g', 6) : valueText(v)));
    }
    // Backends add what they like; the first few fit, the tooltip has them all.
    constexpr int kOtherShown = 3;
    QLabel* otherLabel = m_fields[tr("Other")];
    otherLabel->setText(other.isEmpty() ? kDash
                                        : other.mid(0, kOtherShown).join(QLatin1String(", "))
                                              + (other.size() > kOtherShown ? tr(", … (%1 more)").arg(other.size() - kOtherShown)
                                                                            : QString()));
    otherLabel->setToolTip(other.join(QLatin1Char('\n')));
    m_error->setPlainText(m.error);

    QVector<double> x, y;
    for (int i = 0; i < m.samplesMs.size(); ++i) {
        x.append(i + 1);
        y.append(m.samplesMs[i]);
    }
    m_samples->graph(0)->setData(x, y, true);
    m_samples->setVisible(!x.isEmpty());
    const double right = std::max(2.0, double(m.samplesMs.size()));
    const double pv[2] = {p20, p80};
    for (int i = 0; i < 2; ++i) {
        if (std::isfinite(pv[i]) && !m.samplesMs.isEmpty())
            m_samples->graph(1 + i)->setData({1.0, right}, {pv[i], pv[i]}, true);
        else
            m_samples->graph(1 + i)->data()->clear();
    }
    m_samples->rescaleAxes();
    m_samples->xAxis->setRange(0.5, right + 0.5);
    const QCPRange r = m_samples->yAxis->range();
    const double pad = std::max(r.size() * 0.15, std::abs(r.center()) * 0.01);
    m_samples->yAxis->setRange(r.lower - pad, r.upper + pad);
    m_samples->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace dv::studio
