#include "views/SlotLanesView.h"

#include "theme/PlotTheme.h"
#include "theme/StatusColors.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace dv::studio {

namespace {
enum Column { Slot, InFlight, Running, Last, Evaluations, Failures, ColumnCount };
} // namespace

SlotLanesView::SlotLanesView(QWidget* parent)
    : QWidget(parent)
    , m_throughput(new QLabel(this))
    , m_table(new QTableWidget(0, ColumnCount, this))
{
    m_throughput->setObjectName(QStringLiteral("throughputLabel"));
    m_table->setObjectName(QStringLiteral("slotLanesTable"));
    m_table->setHorizontalHeaderLabels({tr("Slot"), tr("Configuration in flight"), tr("Running for"), tr("Last result"),
                                        tr("Evaluations"), tr("Failures")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->horizontalHeader()->setSectionResizeMode(InFlight, QHeaderView::Stretch);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_throughput);
    layout->addWidget(m_table, 1);
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &SlotLanesView::refresh);
    m_redraw.setSingleShot(true);
    m_redraw.setInterval(200);
    connect(&m_redraw, &QTimer::timeout, this, &SlotLanesView::refresh);
    m_clock.start();
    m_lanes.reset(0);
    refresh();
}

void SlotLanesView::begin()
{
    m_clock.restart();
    m_lanes.reset(0);
    m_running = true;
    m_tick.start();
    refresh();
}

void SlotLanesView::end()
{
    m_running = false;
    m_tick.stop();
    refresh();
}

void SlotLanesView::addSession(qint64 sessionId, const QString& gpu, int slotCount)
{
    m_lanes.addSession(sessionId, gpu, slotCount);
    scheduleRefresh();
}

void SlotLanesView::onSlotStarted(qint64 sessionId, int slot, const QJsonObject& config)
{
    m_lanes.slotStarted(sessionId, slot, config, m_clock.elapsed());
    scheduleRefresh();
}

void SlotLanesView::onTrial(const dv::Trial& trial)
{
    m_lanes.trialFinished(trial, m_clock.elapsed());
    scheduleRefresh();
}

void SlotLanesView::onSlotLost(qint64 sessionId, int slot, const QString& why)
{
    m_lanes.slotLost(sessionId, slot, why);
    scheduleRefresh();
}

void SlotLanesView::scheduleRefresh()
{
    if (!m_redraw.isActive())
        m_redraw.start();
}

QString SlotLanesView::throughputText() const
{
    const qint64 now = m_clock.elapsed();
    QString text = tr("%1 evaluations/min over the last minute, %2 overall (%n evaluated on the slots)", nullptr,
                      m_lanes.evaluations() - m_lanes.fromStore())
                       .arg(QString::number(m_lanes.perMinuteRecent(now), 'f', 1),
                            QString::number(m_lanes.perMinuteOverall(now), 'f', 1));
    if (m_lanes.fromStore() > 0)
        text += tr("; %n answered from the store", nullptr, m_lanes.fromStore());
    return text;
}

void SlotLanesView::refresh()
{
    m_redraw.stop();
    const qint64 now = m_clock.elapsed();
    m_throughput->setText(throughputText());
    const QVector<SlotLanes::Lane>& lanes = m_lanes.lanes();
    m_table->setRowCount(int(lanes.size()));
    // Lanes of several sessions (a pool of GPU types) name their GPU.
    bool pool = false;
    for (const SlotLanes::Lane& l : lanes)
        pool = pool || l.sessionId != lanes.front().sessionId;
    for (int row = 0; row < lanes.size(); ++row) {
        const SlotLanes::Lane& l = lanes[row];
        auto set = [&](int column, const QString& text) {
            QTableWidgetItem* item = m_table->item(row, column);
            if (!item) {
                item = new QTableWidgetItem;
                m_table->setItem(row, column, item);
            }
            item->setText(text);
            item->setForeground(QBrush());
            item->setToolTip(QString());
            return item;
        };
        set(Slot, pool ? tr("%1 #%2").arg(l.gpu).arg(l.slot) : QString::number(l.slot));
        if (l.lost) {
            QTableWidgetItem* item = set(InFlight, tr("lost: %1").arg(l.lostReason));
            item->setForeground(statusColor(Status::Crashed));
            item->setToolTip(l.lostReason);
            set(Running, QString());
        } else if (l.busy) {
            set(InFlight, SlotLanes::compact(l.inFlight))->setToolTip(SlotLanes::compact(l.inFlight));
            set(Running, m_running ? tr("%1 s").arg(QString::number(double(now - l.startedMs) / 1000.0, 'f', 1)) : QString());
        } else {
            set(InFlight, tr("idle"));
            set(Running, QString());
        }
        QTableWidgetItem* last = set(Last, !l.hasResult ? QString()
                                           : l.lastStatus == Status::Ok ? tr("%1 ms").arg(QString::number(l.lastMs, 'g', 5))
                                                                        : statusName(l.lastStatus));
        if (l.hasResult && l.lastStatus != Status::Ok)
            last->setForeground(statusColor(l.lastStatus));
        set(Evaluations, QString::number(l.evaluations));
        QTableWidgetItem* failures = set(Failures, QString::number(l.failures));
        if (l.failures > 0)
            failures->setForeground(warningColor(palette()));
    }
    emit updatedLanes();
}

} // namespace dv::studio
