#include "views/CrossCheckBar.h"

#include "session/ResultStore.h"
#include "views/CrossCheckDialog.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

namespace dv::studio {

CrossCheckBar::CrossCheckBar(QWidget* parent)
    : QWidget(parent)
    , m_label(new QLabel(this))
    , m_button(new QPushButton(tr("Cross-check…"), this))
{
    m_label->setObjectName(QStringLiteral("crossCheckText"));
    m_label->setWordWrap(true);
    m_button->setObjectName(QStringLiteral("crossCheckButton"));
    m_button->setToolTip(tr("Measure each GPU's best configurations on the compared sessions' GPUs that never ran them"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_button);
    connect(m_button, &QPushButton::clicked, this, &CrossCheckBar::openDialog);
    setVisible(false);
}

void CrossCheckBar::setComparison(const QString& databasePath, const std::vector<Landscape>& landscapes, const QList<qint64>& sessionIds)
{
    m_databasePath = databasePath;
    m_targets.clear();
    const bool anySession = std::any_of(sessionIds.begin(), sessionIds.end(), [](qint64 id) { return id > 0; });
    if (anySession && !databasePath.isEmpty() && landscapes.size() >= 2) {
        auto store = ResultStore::openForReading(databasePath);
        auto plan = store ? CrossCheck::plan(*store.value(), landscapes, sessionIds) : Result<QVector<CrossCheckTarget>>(Error{store.error()});
        if (plan)
            m_targets = plan.value();
        else
            m_label->setText(plan.error());
    }
    int configs = 0;
    for (const CrossCheckTarget& t : std::as_const(m_targets))
        configs += int(t.configs.size());
    if (!m_targets.isEmpty())
        m_label->setText(tr("Cells in italics are estimates: %n compared session(s) never ran the other GPUs' best "
                            "configurations (%1 to measure).", nullptr, int(m_targets.size()))
                             .arg(configs));
    setVisible(!m_targets.isEmpty());
}

QString CrossCheckBar::text() const { return m_label->text(); }

void CrossCheckBar::openDialog()
{
    if (m_targets.isEmpty())
        return;
    if (m_dialog)
        m_dialog->close();
    m_dialog = new CrossCheckDialog(m_databasePath, m_targets, this);
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &CrossCheckDialog::crossChecked, this, [this](bool ok) {
        if (ok)
            emit measured();
    });
    m_dialog->show();
}

} // namespace dv::studio
