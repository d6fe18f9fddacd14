#include "views/TrialBrowser.h"

#include "models/TrialFilterProxy.h"
#include "models/TrialTableModel.h"
#include "views/TrialDetailView.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>

namespace dv::studio {

TrialBrowser::TrialBrowser(TrialTableModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_proxy(new TrialFilterProxy(this))
    , m_status(new QComboBox(this))
    , m_query(new QLineEdit(this))
    , m_count(new QLabel(this))
    , m_view(new QTableView(this))
    , m_detail(new TrialDetailView(this))
{
    m_status->setObjectName(QStringLiteral("statusFilterCombo"));
    m_query->setObjectName(QStringLiteral("trialQueryEdit"));
    m_view->setObjectName(QStringLiteral("trialView"));
    m_status->addItem(tr("All statuses"), int(TrialFilterProxy::AllStatuses));
    m_status->addItem(tr("Any failure"), int(TrialFilterProxy::AnyFailure));
    for (Status s : {Status::Ok, Status::Invalid, Status::CompileError, Status::RuntimeError, Status::WrongResult,
                     Status::Timeout, Status::Crashed})
        m_status->addItem(statusName(s), int(s));
    m_query->setPlaceholderText(tr("Filter: text in the configuration, or name=value (e.g. block_size_x=32)"));
    m_query->setClearButtonEnabled(true);

    m_proxy->setSourceModel(m_model);
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(TrialTableModel::SequenceColumn, Qt::AscendingOrder);
    m_view->verticalHeader()->hide();
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    // Fitted once to the first trials, not on every insert: ResizeToContents measures rows on
    // each update, which a session running flat out pays five times a second.
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);

    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(m_status);
    bar->addWidget(m_query, 1);
    bar->addWidget(m_count);
    auto* tableSide = new QWidget(this);
    auto* tableLayout = new QVBoxLayout(tableSide);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->addLayout(bar);
    tableLayout->addWidget(m_view, 1);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(tableSide);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    connect(m_status, &QComboBox::currentIndexChanged, this, [this] {
        m_proxy->setStatusFilter(m_status->currentData().toInt());
        updateCount();
    });
    connect(m_query, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_proxy->setQuery(text);
        updateCount();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &TrialBrowser::onCurrentChanged);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_proxy, signal, this, &TrialBrowser::updateCount);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex&, int first) {
        if (first == 0)
            m_view->resizeColumnsToContents();
    });
    connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] {
        updateCount();
        m_detail->clear();
        if (m_model->rowCount() > 0)
            m_view->resizeColumnsToContents();
    });
    updateCount();
}

void TrialBrowser::updateCount()
{
    m_count->setText(m_proxy->rowCount() == m_model->rowCount()
                         ? tr("%n trial(s)", nullptr, m_model->rowCount())
                         : tr("%1 of %n trial(s)", nullptr, m_model->rowCount()).arg(m_proxy->rowCount()));
}

void TrialBrowser::onCurrentChanged()
{
    const QModelIndex current = m_view->selectionModel()->currentIndex();
    if (!current.isValid()) {
        m_detail->clear();
        return;
    }
    const Trial& trial = m_model->trial(m_proxy->mapToSource(current).row());
    m_detail->showTrial(trial);
    emit trialSelected(trial);
}

bool TrialBrowser::selectConfiguration(const QString& configKey)
{
    int bestRow = -1;
    double bestMs = 0;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const Trial& t = m_model->trial(row);
        if (t.configKey != configKey)
            continue;
        const double ms = t.measurement.isOk() ? t.measurement.objectiveMs : INFINITY;
        if (bestRow < 0 || ms < bestMs) {
            bestRow = row;
            bestMs = ms;
        }
    }
    if (bestRow < 0)
        return false;
    QModelIndex index = m_proxy->mapFromSource(m_model->index(bestRow, 0));
    if (!index.isValid()) { // hidden by the filter: show everything again
        m_status->setCurrentIndex(0);
        m_query->clear();
        index = m_proxy->mapFromSource(m_model->index(bestRow, 0));
    }
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
    return true;
}

} // namespace dv::studio
