#include "views/GpuScatter.h"

#include "analysis/Portability.h"
#include "theme/PlotTheme.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHash>
#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>

namespace dv::studio {

namespace {

// Translucent so the dense middle of 4,000 points reads as density; a lighter blue on dark.
// A few points (two sessions share a handful of configurations) are drawn opaque and larger:
// translucent 4-pixel dots would all but vanish.
constexpr int kDensePoints = 200;

QCPScatterStyle scatterStyle(const QPalette& palette, int points)
{
    const bool dark = isDarkPalette(palette);
    if (points < kDensePoints)
        return discScatter(dark ? QColor(0x56, 0xB4, 0xE9) : QColor(0x00, 0x72, 0xB2), 7);
    return discScatter(dark ? QColor(0x56, 0xB4, 0xE9, 110) : QColor(0x00, 0x72, 0xB2, 70), 4);
}

} // namespace

GpuScatter::GpuScatter(QWidget* parent)
    : QGroupBox(tr("Same configuration, two GPUs"), parent)
    , m_gpuA(new QComboBox(this))
    , m_gpuB(new QComboBox(this))
    , m_scatter(new QCustomPlot(this))
{
    m_gpuA->setObjectName(QStringLiteral("scatterA"));
    m_gpuB->setObjectName(QStringLiteral("scatterB"));
    auto* pickers = new QHBoxLayout;
    pickers->addWidget(new QLabel(tr("GPU A (x):"), this));
    pickers->addWidget(m_gpuA, 1);
    pickers->addWidget(new QLabel(tr("GPU B (y):"), this));
    pickers->addWidget(m_gpuB, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(pickers);
    layout->addWidget(m_scatter, 1);
    m_scatter->setMinimumSize(360, 300);
    m_title = new QCPTextElement(m_scatter, QString(), QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    m_scatter->plotLayout()->insertRow(0);
    m_scatter->plotLayout()->addElement(0, 0, m_title);
    for (QCPAxis* axis : {m_scatter->xAxis, m_scatter->yAxis}) {
        axis->setScaleType(QCPAxis::stLogarithmic);
        axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        axis->setNumberFormat(QStringLiteral("gb"));
    }
    m_scatter->addGraph();
    m_scatter->graph(0)->setLineStyle(QCPGraph::lsNone);
    m_scatter->graph(0)->setScatterStyle(scatterStyle(palette(), 0));
    connect(m_gpuA, &QComboBox::currentIndexChanged, this, &GpuScatter::drawScatter);
    connect(m_gpuB, &QComboBox::currentIndexChanged, this, &GpuScatter::drawScatter);
    applyPlotTheme(m_scatter, palette());
}

void GpuScatter::changeEvent(QEvent* event)
{
    QGroupBox::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyPlotTheme(m_scatter, palette());
        m_scatter->graph(0)->setScatterStyle(scatterStyle(palette(), m_scatter->graph(0)->dataCount()));
        if (m_titleWarns)
            m_title->setTextColor(warningColor(palette()));
    }
}

void GpuScatter::setLandscapes(const std::vector<Landscape>& landscapes)
{
    m_landscapes = landscapes;
    fillPickers();
    drawScatter();
}

void GpuScatter::fillPickers()
{
    const QString a = m_gpuA->currentText(), b = m_gpuB->currentText();
    const QSignalBlocker ba(m_gpuA), bb(m_gpuB);
    m_gpuA->clear();
    m_gpuB->clear();
    QStringList names;
    for (const Landscape& l : m_landscapes)
        names.append(l.name);
    m_gpuA->addItems(names);
    m_gpuB->addItems(names);
    // Keep the user's pair when both are still checked; otherwise the first two.
    m_gpuA->setCurrentIndex(names.contains(a) ? int(names.indexOf(a)) : 0);
    m_gpuB->setCurrentIndex(names.contains(b) && b != m_gpuA->currentText() ? int(names.indexOf(b))
                                                                              : (m_gpuA->currentIndex() == 0 ? 1 : 0));
}

QString GpuScatter::title() const
{
    return m_title->text();
}

void GpuScatter::drawScatter()
{
    const int a = m_gpuA->currentIndex(), b = m_gpuB->currentIndex();
    QVector<double> x, y;
    m_titleWarns = false;
    m_title->setTextColor(palette().color(QPalette::Text));
    if (a < 0 || b < 0 || size_t(a) >= m_landscapes.size() || size_t(b) >= m_landscapes.size() || a == b) {
        m_scatter->graph(0)->data()->clear();
        m_title->setText(tr("Check two or more landscapes of the same kernel"));
        m_scatter->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    const Landscape& la = m_landscapes[size_t(a)];
    const Landscape& lb = m_landscapes[size_t(b)];
    // Pair the two landscapes by configuration key, as core does (their spaces may list
    // configurations in different orders); only pairs that ran on both are drawn.
    QHash<QString, qint64> inB;
    for (qint64 k = 0; k < lb.size(); ++k)
        inB.insert(lb.space.key(k), k);
    for (qint64 i = 0; i < la.size(); ++i) {
        const qint64 k = la.isOk(i) ? inB.value(la.space.key(i), -1) : -1;
        if (k >= 0 && lb.isOk(k)) {
            x.append(la.objectiveMs[size_t(i)]);
            y.append(lb.objectiveMs[size_t(k)]);
        }
    }
    const RankCorrelation rho = Portability::spearman(la, lb);
    m_scatter->graph(0)->setData(x, y);
    m_scatter->graph(0)->setScatterStyle(scatterStyle(palette(), int(x.size())));
    m_scatter->xAxis->setLabel(tr("%1 time (ms)").arg(la.name));
    m_scatter->yAxis->setLabel(tr("%1 time (ms)").arg(lb.name));
    if (!std::isfinite(rho.rho))
        m_title->setText(tr("Too few common configurations for a rank correlation (%Ln)", nullptr, rho.count));
    else if (rho.fewCommon())
        m_title->setText(tr("\u26A0 Spearman rank correlation %1 over only %Ln common configuration(s): too few to "
                            "trust (under %2)", nullptr, rho.count)
                             .arg(QString::number(rho.rho, 'f', 2))
                             .arg(RankCorrelation::kFewCommon));
    else
        m_title->setText(tr("Spearman rank correlation %1 over %Ln common configurations", nullptr, rho.count)
                             .arg(QString::number(rho.rho, 'f', 2)));
    m_titleWarns = !std::isfinite(rho.rho) || rho.fewCommon();
    if (m_titleWarns)
        m_title->setTextColor(warningColor(palette()));
    m_scatter->rescaleAxes();
    // A margin on the log axes so the extreme points are not cut in half at the frame.
    for (QCPAxis* axis : {m_scatter->xAxis, m_scatter->yAxis})
        axis->setRange(axis->range().lower / 1.2, axis->range().upper * 1.2);
    m_scatter->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace dv::studio
