#include "views/SpaceEditor.h"

#include "base/SafeFile.h"
#include "space/ConfigSpace.h"

#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHelpEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QTextBlock>
#include <QToolTip>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace dv::studio {

SpaceEditor::SpaceEditor(QWidget* parent)
    : QWidget(parent)
    , m_name(new QLineEdit(this))
    , m_table(new QTableWidget(0, 2, this))
    , m_constraints(new QPlainTextEdit(this))
    , m_count(new QLabel(this))
    , m_errors(new QLabel(this))
    , m_title(new QLabel(tr("A new space: add parameters, or open a space file."), this))
{
    m_name->setObjectName(QStringLiteral("spaceName"));
    m_table->setObjectName(QStringLiteral("parameterTable"));
    m_constraints->setObjectName(QStringLiteral("constraintEdit"));
    m_count->setObjectName(QStringLiteral("countLabel"));
    m_errors->setObjectName(QStringLiteral("spaceErrors"));
    m_table->setHorizontalHeaderLabels({tr("Parameter"), tr("Values (comma-separated)")});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_constraints->setPlaceholderText(tr("One constraint per line, e.g.\nBLOCK_M * BLOCK_K <= 16384"));
    m_constraints->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_constraints->viewport()->installEventFilter(this);
    m_errors->setWordWrap(true);
    m_errors->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setWordWrap(true);
    QFont bold = m_count->font();
    bold.setBold(true);
    m_count->setFont(bold);

    auto* add = new QPushButton(tr("&Add parameter"), this);
    auto* remove = new QPushButton(tr("&Remove"), this);
    auto* fromDevice = new QPushButton(tr("Device's space"), this);
    fromDevice->setToolTip(tr("Load the parameters of the selected device's workload"));
    fromDevice->setObjectName(QStringLiteral("deviceSpaceButton"));
    connect(add, &QPushButton::clicked, this, [this] {
        addRow(QStringLiteral("P%1").arg(m_table->rowCount() + 1), QStringLiteral("1, 2"));
        m_table->editItem(m_table->item(m_table->rowCount() - 1, 0));
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        const int row = m_table->currentRow();
        if (row >= 0) {
            m_table->removeRow(row);
            scheduleCheck();
        }
    });
    connect(fromDevice, &QPushButton::clicked, this, &SpaceEditor::deviceSpaceRequested);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    auto* form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    layout->addLayout(form);
    layout->addWidget(m_table, 2);
    auto* rowButtons = new QHBoxLayout;
    rowButtons->addWidget(add);
    rowButtons->addWidget(remove);
    rowButtons->addStretch(1);
    rowButtons->addWidget(fromDevice);
    layout->addLayout(rowButtons);
    auto* constraintsLabel = new QLabel(tr("&Constraints (a configuration is valid when every line holds):"), this);
    constraintsLabel->setBuddy(m_constraints);
    layout->addWidget(constraintsLabel);
    layout->addWidget(m_constraints, 1);
    layout->addWidget(m_count);
    layout->addWidget(m_errors);

    m_debounce.setSingleShot(true);
    m_debounce.setInterval(kDebounceMs);
    connect(&m_debounce, &QTimer::timeout, this, &SpaceEditor::check);
    connect(m_table, &QTableWidget::itemChanged, this, &SpaceEditor::scheduleCheck);
    connect(m_constraints, &QPlainTextEdit::textChanged, this, &SpaceEditor::scheduleCheck);
    connect(&m_counting, &QFutureWatcher<SpaceDraft::Count>::finished, this, &SpaceEditor::countFinished);
    check();
}

void SpaceEditor::addRow(const QString& name, const QString& values)
{
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    m_table->setItem(row, 0, new QTableWidgetItem(name));
    m_table->setItem(row, 1, new QTableWidgetItem(values));
}

void SpaceEditor::loadSpace(const ConfigSpace& space, const QString& source)
{
    const SpaceDraft d = SpaceDraft::fromSpace(space);
    m_loading = true;
    m_table->setRowCount(0);
    for (const SpaceDraft::Row& r : d.rows)
        addRow(r.name, r.values);
    m_constraints->setPlainText(d.constraintText);
    m_name->setText(d.name);
    m_loading = false;
    m_source = source;
    // A dataset lists its measured configurations; the editor counts the product under the
    // constraints written here, which is what a space file of these parameters would hold.
    m_title->setText(space.constraints().isEmpty() && qint64(space.productSize()) != space.size()
                         ? tr("%1: %2 recorded configurations. The count below is of the parameter product under "
                              "the constraints written here.").arg(source, QLocale().toString(space.size()))
                         : source);
    m_title->setToolTip(source);
    m_debounce.stop();
    check();
}

Result<void> SpaceEditor::openFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error{tr("%1: cannot read: %2").arg(path, f.errorString())};
    auto space = ConfigSpace::fromJson(f.readAll(), QFileInfo(path).fileName());
    if (!space)
        return Error{space.error()};
    loadSpace(space.value(), path);
    return {};
}

Result<void> SpaceEditor::saveFile(const QString& path)
{
    auto text = draft().toSpaceFile();
    if (!text)
        return Error{tr("%1: not saved: %2").arg(path, text.error())};
    // The save dialog has asked before replacing a file (force); a device or FIFO is still refused.
    if (auto written = SafeFile::write(path, text.value(), true); !written)
        return Error{written.error()};
    m_source = path;
    m_title->setText(path);
    return {};
}

SpaceDraft SpaceEditor::draft() const
{
    SpaceDraft d;
    d.name = m_name->text();
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const QTableWidgetItem* name = m_table->item(row, 0);
        const QTableWidgetItem* values = m_table->item(row, 1);
        d.rows.append(SpaceDraft::Row{name ? name->text() : QString(), values ? values->text() : QString()});
    }
    d.constraintText = m_constraints->toPlainText();
    return d;
}

void SpaceEditor::scheduleCheck()
{
    if (m_loading)
        return;
    m_validCount = -1;
    m_debounce.start();
}

void SpaceEditor::check()
{
    m_checked = draft().check();
    markErrors();
    if (!m_checked.ok()) {
        m_validCount = -1;
        m_count->setText(tr("Fix the marked errors to count the valid configurations."));
        emit counted(-1);
        return;
    }
    m_count->setText(tr("Counting…"));
    startCount();
}

void SpaceEditor::startCount()
{
    // One count at a time; edits made meanwhile are counted when it ends.
    if (m_counting.isRunning()) {
        m_recountPending = true;
        return;
    }
    m_recountPending = false;
    m_counting.setFuture(QtConcurrent::run(&SpaceDraft::count, m_checked));
}

void SpaceEditor::countFinished()
{
    if (!m_checked.ok())
        return; // errors appeared while counting; check() has said so
    if (m_recountPending || m_debounce.isActive()) {
        if (m_recountPending)
            startCount();
        return; // the result is of an older draft
    }
    const SpaceDraft::Count c = m_counting.result();
    m_validCount = c.valid;
    if (c.valid < 0) {
        m_count->setText(c.error);
    } else {
        const QLocale locale;
        m_count->setText(tr("%1 valid configurations of %2 combinations").arg(locale.toString(c.valid),
                                                                                  locale.toString(qulonglong(c.product))));
    }
    emit counted(c.valid);
}

void SpaceEditor::markErrors()
{
    m_loading = true; // colouring items emits itemChanged
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const QString message = m_checked.parameterErrors.value(row);
        for (int col = 0; col < 2; ++col) {
            if (QTableWidgetItem* item = m_table->item(row, col)) {
                item->setToolTip(message);
                item->setBackground(message.isEmpty() ? QBrush() : QBrush(QColor(255, 120, 120, 90)));
            }
        }
    }
    m_loading = false;

    QList<QTextEdit::ExtraSelection> marks;
    QTextCharFormat wavy;
    wavy.setUnderlineStyle(QTextCharFormat::WaveUnderline);
    wavy.setUnderlineColor(Qt::red);
    for (auto it = m_checked.constraintErrors.cbegin(); it != m_checked.constraintErrors.cend(); ++it) {
        const QTextBlock block = m_constraints->document()->findBlockByNumber(it.key());
        QTextEdit::ExtraSelection mark;
        mark.cursor = QTextCursor(block);
        mark.cursor.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
        mark.format = wavy;
        mark.format.setToolTip(it.value());
        marks.append(mark);
    }
    m_constraints->setExtraSelections(marks);

    QStringList lines;
    for (auto it = m_checked.parameterErrors.cbegin(); it != m_checked.parameterErrors.cend(); ++it)
        lines.append(it.value());
    for (auto it = m_checked.constraintErrors.cbegin(); it != m_checked.constraintErrors.cend(); ++it)
        lines.append(tr("line %1: %2").arg(it.key() + 1).arg(it.value()));
    m_errors->setText(lines.join(QLatin1Char('\n')));
    QPalette palette = m_errors->palette();
    palette.setColor(QPalette::WindowText, QColor(200, 30, 30));
    m_errors->setPalette(palette);
    m_errors->setVisible(!lines.isEmpty());
}

bool SpaceEditor::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_constraints->viewport() && event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int line = m_constraints->cursorForPosition(help->pos()).blockNumber();
        const QString message = m_checked.constraintErrors.value(line);
        if (message.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), message, m_constraints->viewport());
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace dv::studio
