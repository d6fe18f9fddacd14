#include "views/PortableConfigPanel.h"

#include "analysis/PortableConfig.h"
#include "export/PortableDefaultExporter.h"
#include "theme/SlowdownColors.h"
#include "views/ValueText.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace dv::studio {

PortableConfigPanel::PortableConfigPanel(QWidget* parent)
    : QGroupBox(tr("Most portable configuration (ok on every GPU)"), parent)
    , m_table(new QTableWidget(this))
    , m_summary(new QLabel(this))
    , m_format(new QComboBox(this))
    , m_criterion(new QComboBox(this))
    , m_export(new QPushButton(tr("Export as default…"), this))
    , m_exportMessage(new QLabel(this))
{
    setObjectName(QStringLiteral("portableConfigPanel"));
    m_table->setObjectName(QStringLiteral("portableConfigTable"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_summary->setWordWrap(true);
    m_format->setObjectName(QStringLiteral("portableFormat"));
    m_format->addItem(tr("triton-dejavu fallback"), QStringLiteral("dejavu"));
    m_format->addItem(tr("vLLM default config"), QStringLiteral("vllm"));
    m_format->addItem(tr("JSON"), QStringLiteral("json"));
    m_criterion->setObjectName(QStringLiteral("portableCriterion"));
    m_criterion->addItem(tr("minimax"), int(PortableDefaultExporter::Criterion::Minimax));
    m_criterion->addItem(tr("geomean"), int(PortableDefaultExporter::Criterion::Geomean));
    m_export->setObjectName(QStringLiteral("portableExport"));
    m_export->setToolTip(tr("Write the configuration as the default for GPUs with no tuned entry (docs/exports.md)"));
    m_export->setEnabled(false);
    m_exportMessage->setObjectName(QStringLiteral("portableExportMessage"));
    m_exportMessage->setWordWrap(true);
    connect(m_export, &QPushButton::clicked, this, &PortableConfigPanel::chooseAndExport);
    auto* exportRow = new QHBoxLayout;
    exportRow->addWidget(m_format, 1);
    exportRow->addWidget(m_criterion);
    exportRow->addWidget(m_export);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_summary);
    layout->addLayout(exportRow);
    layout->addWidget(m_exportMessage);
}

QString PortableConfigPanel::exportMessage() const { return m_exportMessage->text(); }

Result<void> PortableConfigPanel::exportDefault(const QString& path, bool force)
{
    if (!m_portable) {
        m_exportMessage->setText(tr("Nothing to export: no configuration ran ok on every GPU."));
        return Error{m_exportMessage->text()};
    }
    const QString format = m_format->currentData().toString();
    const auto criterion = PortableDefaultExporter::Criterion(m_criterion->currentData().toInt());
    auto written = PortableDefaultExporter::write(format, *m_portable, criterion, m_kernel, path, force);
    m_exportMessage->setText(written ? tr("Wrote the %1 configuration to %2").arg(m_criterion->currentText(), path)
                                     : written.error());
    return written;
}

void PortableConfigPanel::chooseAndExport()
{
    const QString suffix = m_format->currentData().toString() == QLatin1String("dejavu") ? QStringLiteral("py") : QStringLiteral("json");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export the portable configuration"), QStringLiteral("portable.") + suffix);
    if (!path.isEmpty())
        exportDefault(path, true); // the file dialog has asked before replacing a file
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
    m_portable.reset();
    m_export->setEnabled(false);
    if (landscapes.size() < 2) {
        m_summary->setText(tr("Check two or more landscapes of the same kernel."));
        return;
    }
    auto portable = PortableConfig::compute(landscapes);
    if (!portable) {
        m_summary->setText(portable.error());
        return;
    }
    m_portable = portable.value();
    m_kernel = landscapes.front().space.name();
    m_export->setEnabled(true);
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
