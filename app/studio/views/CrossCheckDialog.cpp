#include "views/CrossCheckDialog.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace dv::studio {

CrossCheckDialog::CrossCheckDialog(const QString& databasePath, const QVector<CrossCheckTarget>& targets, QWidget* parent)
    : QDialog(parent)
    , m_databasePath(databasePath)
    , m_targets(targets)
{
    setWindowTitle(tr("Cross-check the compared sessions"));
    auto* intro = new QLabel(tr("Each session below never ran the best configurations of the other GPUs, so the matrix "
                                "shows estimates there. The cross-check measures them on the session's GPU (a new stored "
                                "session, merged into it). Give the device of each GPU:"),
                             this);
    intro->setWordWrap(true);
    auto* form = new QFormLayout;
    for (const CrossCheckTarget& t : targets) {
        auto* field = new QLineEdit(this);
        field->setObjectName(QStringLiteral("crossCheckDevice%1").arg(t.sessionId));
        field->setPlaceholderText(tr("device id (the session ran on %1)").arg(t.storedDevice.id));
        field->setToolTip(CrossCheck::describe(t));
        auto* use = new QPushButton(tr("Use"), this);
        use->setObjectName(QStringLiteral("crossCheckUseStored%1").arg(t.sessionId));
        use->setToolTip(tr("Take the session's stored device: %1").arg(t.storedDevice.id));
        connect(use, &QPushButton::clicked, field, [field, id = t.storedDevice.id] { field->setText(id); });
        auto* row = new QHBoxLayout;
        row->addWidget(field, 1);
        row->addWidget(use);
        auto* what = new QLabel(tr("%1 configuration(s) of %2").arg(t.configs.size()).arg(t.from.join(QStringLiteral(", "))), this);
        what->setWordWrap(true);
        form->addRow(t.name, what);
        form->addRow(QString(), row);
        m_devices.insert(t.sessionId, field);
    }
    m_report = new QPlainTextEdit(this);
    m_report->setObjectName(QStringLiteral("crossCheckReport"));
    m_report->setReadOnly(true);
    m_report->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_start = buttons->addButton(tr("Measure"), QDialogButtonBox::AcceptRole);
    m_start->setObjectName(QStringLiteral("crossCheckStart"));
    connect(m_start, &QPushButton::clicked, this, &CrossCheckDialog::start);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_report, 1);
    layout->addWidget(buttons);
    connect(&m_watcher, &QFutureWatcher<QPair<bool, QString>>::finished, this, &CrossCheckDialog::done);
    resize(760, 380);
}

QString CrossCheckDialog::report() const { return m_report->toPlainText(); }

void CrossCheckDialog::start()
{
    if (m_watcher.isRunning())
        return;
    CrossCheckJob job;
    job.databasePath = m_databasePath;
    job.targets = m_targets;
    for (auto it = m_devices.cbegin(); it != m_devices.cend(); ++it)
        job.devices.insert(it.key(), it.value()->text());
    m_start->setEnabled(false);
    m_report->setPlainText(tr("Measuring…"));
    m_watcher.setFuture(QtConcurrent::run([job] {
        const auto lines = job.run();
        return lines ? qMakePair(true, lines->join(QLatin1Char('\n'))) : qMakePair(false, lines.error());
    }));
}

void CrossCheckDialog::done()
{
    const auto [ok, text] = m_watcher.result();
    m_report->setPlainText(text);
    m_start->setEnabled(!ok); // measured: nothing more to do here
    emit crossChecked(ok);
}

} // namespace dv::studio
