#include "views/RefreshDialog.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace dv::studio {

RefreshDialog::RefreshDialog(const QString& databasePath, const QList<qint64>& sessionIds, const QString& deviceId,
                             QWidget* parent)
    : QDialog(parent)
    , m_databasePath(databasePath)
{
    setWindowTitle(tr("Refresh on this GPU"));
    QStringList ids;
    for (qint64 id : sessionIds)
        ids.append(QString::number(id));
    m_sessions = new QLineEdit(ids.join(QLatin1Char(',')), this);
    m_sessions->setObjectName(QStringLiteral("refreshSessions"));
    m_sessions->setToolTip(tr("The ladder tuned on the old platform: one stored session per problem key"));
    m_bundle = new QLineEdit(this);
    m_bundle->setObjectName(QStringLiteral("refreshBundle"));
    m_bundle->setPlaceholderText(tr("or a bundle (.tar.gz) instead of the sessions"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Bundle to refresh"), QString(), tr("Bundles (*.tar.gz)"));
        if (!path.isEmpty())
            setBundle(path);
    });
    auto* bundleRow = new QHBoxLayout;
    bundleRow->addWidget(m_bundle);
    bundleRow->addWidget(browse);
    m_device = new QLineEdit(deviceId, this);
    m_device->setObjectName(QStringLiteral("refreshDevice"));
    m_device->setToolTip(tr("The device to re-tune on; with several keys, {key} stands for each key "
                            "(replay:h100/triton_rmsnorm_fp16_rows{key}_N4096, triton:0/rmsnorm problem={\"rows\":{key},\"N\":4096})"));
    m_budget = new QSpinBox(this);
    m_budget->setRange(1, 100000);
    m_budget->setValue(RefreshSettings().budget);
    m_budget->setSuffix(tr(" evaluations per key at most"));
    auto* form = new QFormLayout;
    form->addRow(tr("Sessions"), m_sessions);
    form->addRow(tr("Bundle"), bundleRow);
    form->addRow(tr("Device"), m_device);
    form->addRow(tr("Budget"), m_budget);
    m_report = new QPlainTextEdit(this);
    m_report->setObjectName(QStringLiteral("refreshReport"));
    m_report->setReadOnly(true);
    m_report->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_report->setPlaceholderText(tr("Per key: the old best's time there and here, the new best, evaluations, seconds, whether it changed"));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_start = buttons->addButton(tr("Refresh"), QDialogButtonBox::AcceptRole);
    m_start->setObjectName(QStringLiteral("refreshStart"));
    connect(m_start, &QPushButton::clicked, this, &RefreshDialog::start);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_report, 1);
    layout->addWidget(buttons);
    connect(&m_watcher, &QFutureWatcher<QPair<bool, QString>>::finished, this, &RefreshDialog::done);
    resize(820, 420);
}

void RefreshDialog::setSessions(const QString& ids) { m_sessions->setText(ids); }
void RefreshDialog::setBundle(const QString& path)
{
    m_bundle->setText(path);
    if (!path.isEmpty())
        m_sessions->clear();
}
void RefreshDialog::setDevice(const QString& deviceId) { m_device->setText(deviceId); }
void RefreshDialog::setBudget(int evaluations) { m_budget->setValue(evaluations); }
QString RefreshDialog::report() const { return m_report->toPlainText(); }

void RefreshDialog::start()
{
    if (m_watcher.isRunning())
        return;
    RefreshJob job;
    job.databasePath = m_databasePath;
    for (const QString& part : m_sessions->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 id = part.trimmed().toLongLong(&ok);
        if (!ok || id < 1) {
            m_report->setPlainText(tr("Sessions: expected ids such as 3,4,5, got '%1'").arg(part.trimmed()));
            return;
        }
        job.sessionIds.append(id);
    }
    job.bundlePath = m_bundle->text().trimmed();
    job.deviceTemplate = m_device->text();
    job.settings.budget = m_budget->value();
    m_start->setEnabled(false);
    m_report->setPlainText(tr("Refreshing…"));
    m_watcher.setFuture(QtConcurrent::run([job] {
        const auto rows = job.run();
        return rows ? qMakePair(true, Refresh::table(rows.value())) : qMakePair(false, rows.error());
    }));
}

void RefreshDialog::done()
{
    const auto [ok, text] = m_watcher.result();
    m_report->setPlainText(text);
    m_start->setEnabled(true);
    emit refreshed(ok);
}

} // namespace dv::studio
