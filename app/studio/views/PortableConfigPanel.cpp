#include "views/PortableConfigPanel.h"

#include "analysis/PortableConfig.h"
#include "theme/SlowdownColors.h"
#include "views/ValueText.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace dv::studio {

PortableConfigPanel::PortableConfigPanel(QWidget* parent)
    : QGroupBox(tr("Most portable configuration (ok on every GPU)"), parent)
    , m_table(new QTableWidget(this))
    , m_summary(new QLabel(this))
{
    setObjectName(QStringLiteral("portableConfigPanel"));
    m_table->setObjectName(QStringLiteral("portableConfigTable"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_summary->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_summary);
}

QString PortableConfigPanel::summary() const
{
    return m_summary->text();
}

void PortableConfigPanel::setLandscapes(const std::vector<Landscape>& landscapes)
{
    m_table->clear();
    m_table->setRowCount(0);
    m_table->setColumnCount(0);
    if (landscapes.size() < 2) {
        m_summary->setText(tr("Check two or more landscapes of the same kernel."));
        return;
    }
    auto portable = PortableConfig::compute(landscapes);
    if (!portable) {
        m_summary->setText(portable.error());
        return;
    }
    const PortableConfig& p = portable.value();
    const PortableCandidate* variants[] = {&p.minimax(), &p.geomean()};
    QStringList rows{tr("worst slowdown"), tr("geometric mean")};
    for (const QString& gpu : p.names())
        rows.append(tr("on %1").arg(gpu));
    const ConfigSpace& space = landscapes.front().space;
    for (const Parameter& param : space.parameters())
        rows.append(param.name);
    m_table->setRowCount(int(rows.size()));
    m_table->setColumnCount(2);
    m_table->setVerticalHeaderLabels(rows);
    m_table->setHorizontalHeaderLabels({tr("minimax"), tr("geomean")});
    m_table->horizontalHeaderItem(0)->setToolTip(tr("The smallest worst slowdown against each GPU's own best"));
    m_table->horizontalHeaderItem(1)->setToolTip(tr("The smallest geometric mean of the slowdowns"));
    auto ratio = [](double v) {
        auto* item = new QTableWidgetItem(QString::number(v, 'f', 2) + QLatin1Char('x'));
        item->setBackground(slowdownColor(v));
        item->setForeground(Qt::black);
        return item;
    };
    for (int c = 0; c < 2; ++c) {
        const PortableCandidate& v = *variants[c];
        m_table->setItem(0, c, ratio(v.worst));
        m_table->item(0, c)->setToolTip(tr("worst on %1").arg(p.names().value(v.worstGpu)));
        m_table->setItem(1, c, ratio(v.geomean));
        for (int g = 0; g < p.names().size(); ++g)
            m_table->setItem(2 + g, c, ratio(v.slowdown[size_t(g)]));
        for (int r = 2 + int(p.names().size()); r < rows.size(); ++r)
            m_table->setItem(r, c, new QTableWidgetItem(valueText(v.config.value(rows[r]))));
        for (int r = 0; r < rows.size(); ++r)
            m_table->item(r, c)->setTextAlignment(Qt::AlignCenter);
    }
    m_summary->setText(p.exclusionText() + QLatin1Char('.'));
}

} // namespace dv::studio
