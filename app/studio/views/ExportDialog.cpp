#include "views/ExportDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
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
    , m_pathLabel(new QLabel(this))
    , m_path(new QLineEdit(this))
    , m_deployment(new QLineEdit(this))
    , m_vllm(new QGroupBox(tr("vLLM fused MoE layer"), this))
    , m_experts(new QSpinBox(m_vllm))
    , m_n(new QSpinBox(m_vllm))
    , m_dtype(new QComboBox(m_vllm))
    , m_blockShape(new QLineEdit(m_vllm))
    , m_deviceName(new QLineEdit(m_vllm))
    , m_tritonVersion(new QLineEdit(m_vllm))
    , m_keyPosition(new QSpinBox(m_vllm))
    , m_force(new QCheckBox(tr("&Replace existing files that differ"), this))
    , m_form(new QFormLayout)
    , m_deploymentRow(new QWidget(this))
    , m_progress(new QProgressBar(this))
    , m_message(new QLabel(this))
    , m_details(new QPlainTextEdit(this))
    , m_export(new QPushButton(tr("&Export"), this))
{
    setWindowTitle(tr("Export"));
    m_sessions->setObjectName(QStringLiteral("exportSessions"));
    m_format->setObjectName(QStringLiteral("exportFormat"));
    m_path->setObjectName(QStringLiteral("exportPath"));
    m_deployment->setObjectName(QStringLiteral("exportDeployment"));
    m_experts->setObjectName(QStringLiteral("exportExperts"));
    m_n->setObjectName(QStringLiteral("exportN"));
    m_dtype->setObjectName(QStringLiteral("exportDtype"));
    m_blockShape->setObjectName(QStringLiteral("exportBlockShape"));
    m_deviceName->setObjectName(QStringLiteral("exportDeviceName"));
    m_tritonVersion->setObjectName(QStringLiteral("exportTritonVersion"));
    m_keyPosition->setObjectName(QStringLiteral("exportKeyPosition"));
    m_force->setObjectName(QStringLiteral("exportForce"));
    m_progress->setObjectName(QStringLiteral("exportProgress"));
    m_message->setObjectName(QStringLiteral("exportMessage"));
    m_details->setObjectName(QStringLiteral("exportDetails"));
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
    const QPair<const char*, QString> tips[] = {
        {"csv", tr("One row per trial (docs/exports.md)")},
        {"kerneltuner", tr("A Kernel Tuner cache file; it loads back as a replay device")},
        {"dejavu", tr("A triton-dejavu storage tree (TRITON_DEJAVU_STORAGE): one tuned entry per problem key of the selected sessions")},
        {"vllm", tr("vLLM's fused-MoE tuned-config file (VLLM_TUNED_CONFIG_FOLDER): one entry per batch size M of the selected sessions")},
        {"sglang", tr("sglang's fused-MoE tuned-config file in its Triton version's folder (SGLANG_MOE_CONFIG_DIR): one entry per batch size M")},
        {"triton-cache", tr("Triton's own autotune cache (TRITON_CACHE_DIR, Triton >= 3.4, cache_results=True): one file per problem key")},
        {"bundle", tr("A portable tar.gz with the sessions, their trials and best configurations (dejavu-tune bundle import)")},
    };
    for (const auto& [format, tip] : tips)
        m_format->setItemData(m_format->findText(QLatin1String(format)), tip, Qt::ToolTipRole);

    m_deployment->setPlaceholderText(tr("optional: the values the Triton worker stored with the first session"));
    m_deployment->setToolTip(tr("The output of kernels/triton/deployment.py on the deployment machine (docs/exports.md)"));
    for (QSpinBox* box : {m_experts, m_n}) {
        box->setRange(0, 1 << 24);
        box->setSpecialValueText(tr("required"));
    }
    m_experts->setToolTip(tr("E: the number of experts"));
    m_n->setToolTip(tr("N: the intermediate size per shard, as vLLM puts it in the file name"));
    m_dtype->setEditable(true);
    m_dtype->addItems({QString(), QStringLiteral("fp8_w8a8"), QStringLiteral("int8_w8a8"), QStringLiteral("int8_w8a16"),
                       QStringLiteral("int4_w4a16"), QStringLiteral("mxfp4_w4a4"), QStringLiteral("float32")});
    m_dtype->lineEdit()->setPlaceholderText(tr("none (float16, bfloat16)"));
    m_blockShape->setPlaceholderText(tr("none, or N,K of block quantisation (128,128)"));
    m_deviceName->setPlaceholderText(tr("the GPU the sessions ran on"));
    m_tritonVersion->setPlaceholderText(tr("the sessions' Triton, when they ran on the Triton worker"));
    m_tritonVersion->setToolTip(tr("sglang: the Triton version whose folder (triton_3_4_0) holds the file; "
                                   "vLLM: recorded as triton_version"));
    m_keyPosition->setRange(0, 16);
    m_keyPosition->setToolTip(tr("Where M is in each session's problem"));
    auto* vllmForm = new QFormLayout(m_vllm);
    vllmForm->addRow(tr("E&xperts:"), m_experts);
    vllmForm->addRow(tr("&N:"), m_n);
    vllmForm->addRow(tr("&Dtype:"), m_dtype);
    vllmForm->addRow(tr("B&lock shape:"), m_blockShape);
    vllmForm->addRow(tr("Device &name:"), m_deviceName);
    vllmForm->addRow(tr("&Triton version:"), m_tritonVersion);
    vllmForm->addRow(tr("&M at problem position:"), m_keyPosition);

    m_path->setPlaceholderText(tr("output file (.gz compresses)"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setReadOnly(true);
    m_details->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_details->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_details->setVisible(false);
    m_details->setMinimumHeight(m_details->fontMetrics().lineSpacing() * 8);
    m_deploymentRow->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    m_vllm->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    m_export->setDefault(true);
    m_export->setEnabled(m_sessions->count() > 0);

    auto* browse = new QPushButton(tr("&Browse…"), this);
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);
    auto* browseDeployment = new QPushButton(tr("B&rowse…"), m_deploymentRow);
    auto* deploymentRow = new QHBoxLayout(m_deploymentRow);
    deploymentRow->setContentsMargins(0, 0, 0, 0);
    deploymentRow->addWidget(m_deployment, 1);
    deploymentRow->addWidget(browseDeployment);
    m_form->addRow(tr("&Session:"), m_sessions);
    m_form->addRow(tr("&Format:"), m_format);
    m_pathLabel->setBuddy(m_path); // a row holding a layout gets no buddy from addRow
    m_form->addRow(m_pathLabel, pathRow);
    auto* deploymentLabel = new QLabel(tr("&Deployment:"), this);
    deploymentLabel->setBuddy(m_deployment);
    m_form->addRow(deploymentLabel, m_deploymentRow);
    m_form->addRow(m_vllm);
    m_form->addRow(m_force);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_export, QDialogButtonBox::ActionRole);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(m_form);
    layout->addWidget(m_progress);
    layout->addWidget(m_message);
    layout->addWidget(m_details, 1);
    layout->addStretch(1); // takes the room of the details while they are hidden (finish())
    layout->addWidget(buttons);

    connect(browse, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(browseDeployment, &QPushButton::clicked, this, &ExportDialog::browseDeployment);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_export, &QPushButton::clicked, this, &ExportDialog::start);
    connect(&m_watcher, &QFutureWatcher<QPair<bool, ExportOutcome>>::finished, this, &ExportDialog::done);
    connect(m_path, &QLineEdit::textEdited, this, [this] { m_userPath = true; });
    connect(m_format, &QComboBox::currentTextChanged, this, &ExportDialog::formatChanged);
    connect(m_sessions, &QListWidget::itemSelectionChanged, this, &ExportDialog::suggestPath);
    formatChanged();
    if (m_sessions->count() == 0)
        m_message->setText(tr("The result store holds no session yet."));
    resize(std::max(760, sizeHint().width()), sizeHint().height());
}

void ExportDialog::setFormat(const QString& format) { m_format->setCurrentText(format); }
void ExportDialog::setPath(const QString& path)
{
    m_userPath = true;
    m_path->setText(path);
}
void ExportDialog::setDeploymentFile(const QString& path) { m_deployment->setText(path); }
QString ExportDialog::message() const { return m_message->text(); }
QString ExportDialog::details() const { return m_details->toPlainText(); }

void ExportDialog::suggestPath()
{
    // Follows format and session until the user types a path of their own.
    if (m_userPath)
        return;
    const QString format = m_format->currentText();
    const QString current = m_path->text();
    const QString dir = current.isEmpty() ? QDir::homePath() : QFileInfo(current).absolutePath();
    const QString name = ExportJob::writesDirectory(format) ? QStringLiteral("%1-export").arg(format)
                                                            : QStringLiteral("session-%1%2").arg(selectedIds().value(0)).arg(ExportJob::suffix(format));
    m_path->setText(QDir(dir).filePath(name));
}

void ExportDialog::formatChanged()
{
    const QString format = m_format->currentText();
    // Another format starts afresh: a path typed for csv is no directory for vllm, and the last
    // export's message and details describe a file this format will not write. The path keeps
    // the folder chosen so far.
    m_userPath = false;
    if (!m_watcher.isRunning()) {
        m_message->clear();
        m_message->setPalette(QPalette());
        m_details->clear();
        m_details->setVisible(false);
        if (auto* box = qobject_cast<QVBoxLayout*>(layout()))
            box->setStretch(box->count() - 2, 1); // as finish() leaves it without details
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
    }
    // A ladder (one session per problem key) or a bundle (per key and GPU) takes several
    // sessions; the trial formats one.
    if (ExportJob::takesSeveralSessions(format)) {
        m_sessions->setSelectionMode(QAbstractItemView::ExtendedSelection);
        m_sessions->setToolTip(format == QLatin1String("bundle")
                                   ? tr("Ctrl+click or Shift+click to bundle several sessions (one per problem key and GPU)")
                                   : tr("Ctrl+click or Shift+click to export several sessions (one per problem key, one GPU)"));
    } else {
        QListWidgetItem* current = m_sessions->currentItem();
        m_sessions->setSelectionMode(QAbstractItemView::SingleSelection);
        m_sessions->clearSelection();
        if (current)
            current->setSelected(true);
        m_sessions->setToolTip(QString());
    }
    const bool directory = ExportJob::writesDirectory(format);
    m_pathLabel->setText(directory ? tr("&Directory:") : tr("&File:"));
    m_path->setPlaceholderText(directory ? tr("output directory") : tr("output file (.gz compresses)"));
    m_form->setRowVisible(m_deploymentRow, ExportJob::usesDeployment(format));
    m_form->setRowVisible(m_vllm, format == QLatin1String("vllm") || format == QLatin1String("sglang"));
    m_form->setRowVisible(m_force, format != QLatin1String("bundle")); // every export but a bundle needs it to replace a file
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
    const QString path = ExportJob::writesDirectory(m_format->currentText())
                             ? QFileDialog::getExistingDirectory(this, tr("Export into"), m_path->text())
                             : QFileDialog::getSaveFileName(this, tr("Export to"), m_path->text());
    if (!path.isEmpty())
        setPath(path);
}

void ExportDialog::browseDeployment()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Deployment values"), m_deployment->text(), tr("JSON files (*.json);;All files (*)"));
    if (!path.isEmpty())
        m_deployment->setText(path);
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
    job.deploymentFile = m_deployment->text().trimmed();
    job.force = m_force->isChecked();
    if (job.format == QLatin1String("vllm") || job.format == QLatin1String("sglang")) {
        job.vllm.experts = m_experts->value();
        job.vllm.n = m_n->value();
        job.vllm.dtype = m_dtype->currentText().trimmed();
        job.vllm.deviceName = m_deviceName->text().trimmed();
        job.vllm.tritonVersion = m_tritonVersion->text().trimmed();
        job.keyPosition = m_keyPosition->value();
        const QString shape = m_blockShape->text().trimmed();
        if (!shape.isEmpty()) {
            for (const QString& part : shape.split(QLatin1Char(','))) {
                bool ok = false;
                job.vllm.blockShape.append(part.trimmed().toInt(&ok));
                if (!ok) {
                    finish(false, ExportOutcome{tr("block shape: expected N,K (two integers), got '%1'").arg(shape), QString()});
                    return;
                }
            }
        }
    }
    m_export->setEnabled(false);
    m_progress->setRange(0, 0); // busy: the exporters report no steps
    m_message->setText(tr("Exporting…"));
    m_details->clear();
    m_details->setVisible(false);
    m_watcher.setFuture(QtConcurrent::run([job] {
        const Result<ExportOutcome> r = job.run();
        return r ? qMakePair(true, r.value()) : qMakePair(false, ExportOutcome{r.error(), QString()});
    }));
}

void ExportDialog::done()
{
    const auto [ok, outcome] = m_watcher.result();
    finish(ok, outcome);
}

void ExportDialog::finish(bool ok, const ExportOutcome& outcome)
{
    m_progress->setRange(0, 1);
    m_progress->setValue(ok ? 1 : 0);
    m_export->setEnabled(true);
    QPalette palette = m_message->palette();
    palette.setColor(QPalette::WindowText, ok ? palette.color(QPalette::Text) : QColor(200, 30, 30));
    m_message->setPalette(palette);
    m_message->setText(ok ? outcome.message : tr("Export failed: %1").arg(outcome.message));
    m_details->setPlainText(ok ? outcome.details : QString());
    m_details->setVisible(ok && !outcome.details.isEmpty());
    // The details take the spare room when shown, the stretch above the buttons when not.
    if (auto* box = qobject_cast<QVBoxLayout*>(layout()))
        box->setStretch(box->count() - 2, m_details->isVisible() ? 0 : 1);
    layout()->activate();
    // Room for a long message and the coverage table.
    if (height() < sizeHint().height())
        resize(width(), sizeHint().height());
    emit exported(ok, m_message->text());
}

} // namespace dv::studio
