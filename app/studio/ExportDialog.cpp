#include "ExportDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <QtConcurrent/QtConcurrentRun>

namespace dv::studio {

ExportDialog::ExportDialog(const QString& databasePath, const QVector<SessionRecord>& sessions, qint64 selectedId,
                           QWidget* parent)
    : QDialog(parent)
    , m_databasePath(databasePath)
    , m_sessions(new QListWidget(this))
    , m_format(new QComboBox(this))
    , m_path(new QLineEdit(this))
    , m_progress(new QProgressBar(this))
    , m_message(new QLabel(this))
    , m_export(new QPushButton(tr("&Export"), this))
{
    setWindowTitle(tr("Export"));
    m_sessions->setObjectName(QStringLiteral("exportSessions"));
    m_format->setObjectName(QStringLiteral("exportFormat"));
    m_path->setObjectName(QStringLiteral("exportPath"));
    m_progress->setObjectName(QStringLiteral("exportProgress"));
    m_message->setObjectName(QStringLiteral("exportMessage"));
    m_export->setObjectName(QStringLiteral("exportButton"));

    for (const SessionRecord& s : sessions) {
        auto* item = new QListWidgetItem(tr("#%1 %2 %5 on %3: %4, %n evaluation(s)", nullptr, s.trialCount)
                                             .arg(s.id).arg(s.kernel, s.device.name, s.strategy, s.problem),
                                         m_sessions);
        item->setData(Qt::UserRole, s.id);
        if (s.id == selectedId || (selectedId == 0 && m_sessions->count() == 1))
            m_sessions->setCurrentItem(item);
    }
    m_sessions->setSelectionMode(QAbstractItemView::SingleSelection);
    m_sessions->setMaximumHeight(m_sessions->sizeHintForRow(0) * 6 + 2 * m_sessions->frameWidth());
    m_format->addItems(ExportJob::formats());
    m_format->setItemData(m_format->findText(QStringLiteral("csv")), tr("One row per trial (docs/exports.md)"), Qt::ToolTipRole);
    m_format->setItemData(m_format->findText(QStringLiteral("kerneltuner")),
                          tr("A Kernel Tuner cache file; it loads back as a replay device"), Qt::ToolTipRole);
    m_format->setItemData(m_format->findText(QStringLiteral("bundle")),
                          tr("A portable tar.gz with the session, its trials and best configuration (dejavu-tune bundle import)"),
                          Qt::ToolTipRole);
    m_path->setPlaceholderText(tr("output file (.gz compresses)"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_export->setDefault(true);
    m_export->setEnabled(m_sessions->count() > 0);
    if (m_sessions->count() == 0)
        m_message->setText(tr("The result store holds no session yet."));

    auto* browse = new QPushButton(tr("&Browse…"), this);
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);
    auto* form = new QFormLayout;
    form->addRow(tr("&Session:"), m_sessions);
    form->addRow(tr("&Format:"), m_format);
    auto* fileLabel = new QLabel(tr("&File:"), this);
    fileLabel->setBuddy(m_path); // a row holding a layout gets no buddy from addRow
    form->addRow(fileLabel, pathRow);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_export, QDialogButtonBox::ActionRole);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_message);
    layout->addWidget(buttons);

    connect(browse, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_export, &QPushButton::clicked, this, &ExportDialog::start);
    connect(&m_watcher, &QFutureWatcher<QPair<bool, QString>>::finished, this, &ExportDialog::done);
    connect(m_path, &QLineEdit::textEdited, this, [this] { m_userPath = true; });
    connect(m_format, &QComboBox::currentTextChanged, this, &ExportDialog::formatChanged);
    connect(m_sessions, &QListWidget::itemSelectionChanged, this, &ExportDialog::suggestPath);
    suggestPath();
    resize(std::max(760, sizeHint().width()), sizeHint().height());
}

void ExportDialog::setFormat(const QString& format) { m_format->setCurrentText(format); }
void ExportDialog::setPath(const QString& path)
{
    m_userPath = true;
    m_path->setText(path);
}
QString ExportDialog::message() const { return m_message->text(); }

void ExportDialog::suggestPath()
{
    // Follows format and session until the user types a path of their own.
    if (m_userPath)
        return;
    const QString current = m_path->text();
    const QString dir = current.isEmpty() ? QDir::homePath() : QFileInfo(current).absolutePath();
    m_path->setText(QDir(dir).filePath(QStringLiteral("session-%1%2").arg(selectedIds().value(0))
                                            .arg(ExportJob::suffix(m_format->currentText()))));
}

void ExportDialog::formatChanged()
{
    // A bundle holds a campaign (one session per problem key and GPU); the others one session.
    if (ExportJob::takesSeveralSessions(m_format->currentText())) {
        m_sessions->setSelectionMode(QAbstractItemView::ExtendedSelection);
        m_sessions->setToolTip(tr("Ctrl+click or Shift+click to bundle several sessions (one per problem key and GPU)"));
    } else {
        QListWidgetItem* current = m_sessions->currentItem();
        m_sessions->setSelectionMode(QAbstractItemView::SingleSelection);
        m_sessions->clearSelection();
        if (current)
            current->setSelected(true);
        m_sessions->setToolTip(QString());
    }
    suggestPath();
}

QVector<qint64> ExportDialog::selectedIds() const
{
    QVector<qint64> ids;
    for (int row = 0; row < m_sessions->count(); ++row) {
        if (m_sessions->item(row)->isSelected())
            ids.append(m_sessions->item(row)->data(Qt::UserRole).toLongLong());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

void ExportDialog::browse()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export to"), m_path->text());
    if (!path.isEmpty())
        setPath(path);
}

void ExportDialog::start()
{
    if (m_watcher.isRunning())
        return;
    ExportJob job;
    job.databasePath = m_databasePath;
    job.sessionIds = selectedIds();
    job.format = m_format->currentText();
    job.path = m_path->text().trimmed();
    m_export->setEnabled(false);
    m_progress->setRange(0, 0); // busy: the exporters report no steps
    m_message->setText(tr("Exporting…"));
    m_watcher.setFuture(QtConcurrent::run([job] {
        const Result<QString> r = job.run();
        return r ? qMakePair(true, r.value()) : qMakePair(false, r.error());
    }));
}

void ExportDialog::done()
{
    const auto [ok, text] = m_watcher.result();
    m_progress->setRange(0, 1);
    m_progress->setValue(ok ? 1 : 0);
    m_export->setEnabled(true);
    QPalette palette = m_message->palette();
    palette.setColor(QPalette::WindowText, ok ? palette.color(QPalette::Text) : QColor(200, 30, 30));
    m_message->setPalette(palette);
    m_message->setText(ok ? text : tr("Export failed: %1").arg(text));
    emit exported(ok, m_message->text());
}

} // namespace dv::studio
