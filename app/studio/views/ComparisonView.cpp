#include "views/ComparisonView.h"

#include "analysis/LandscapeGrid.h"
#include "analysis/LandscapeSource.h"
#include "analysis/Portability.h"
#include "analysis/PortabilityEstimate.h"
#include "device/DeviceRegistry.h"
#include "models/PortabilityModel.h"
#include "session/ResultStore.h"
#include "theme/PlotTheme.h"
#include "theme/SlowdownColors.h"
#include "views/CrossCheckBar.h"
#include "views/CrossCheckDialog.h"
#include "views/DatasetLabels.h"
#include "views/GpuScatter.h"
#include "views/LandscapeView.h"
#include "views/PortableConfigPanel.h"
#include "views/ValueText.h"

#include <QComboBox>
#include <QEvent>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace dv::studio {

namespace {

const QString kSessionPrefix = QStringLiteral("session:");

// Stretch fills the width, but never below what a header's text needs: a narrow window
// scrolls instead of clipping "on MI250X" to "n MI250X" (the full name is in the tooltip).
void fitSections(QHeaderView* header)
{
    int widest = 0;
    for (int s = 0; s < header->count(); ++s)
        widest = std::max(widest, header->sectionSizeHint(s));
    header->setMinimumSectionSize(std::max(widest, 40));
}

} // namespace

ComparisonView::ComparisonView(QWidget* parent)
    : QWidget(parent)
    , m_kernel(new QComboBox(this))
    , m_datasets(new QListWidget(this))
    , m_message(new QLabel(this))
    , m_model(new PortabilityModel(this))
    , m_matrix(new QTableView(this))
    , m_best(new QTableWidget(this))
    , m_scatter(new GpuScatter(this))
    , m_portable(new PortableConfigPanel(this))
    , m_crossCheck(new CrossCheckBar(this))
{
    setWindowTitle(tr("Compare GPUs — Deja Vu Studio"));
    m_kernel->setObjectName(QStringLiteral("comparisonKernelCombo"));
    m_datasets->setObjectName(QStringLiteral("comparisonDatasets"));
    m_matrix->setObjectName(QStringLiteral("portabilityView"));
    m_best->setObjectName(QStringLiteral("bestConfigTable"));
    m_message->setWordWrap(true);

    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->addWidget(new QLabel(tr("Kernel:"), left));
    leftLayout->addWidget(m_kernel);
    leftLayout->addWidget(new QLabel(tr("Recorded landscapes to compare:"), left));
    leftLayout->addWidget(m_datasets, 1);
    leftLayout->addWidget(m_message);

    m_matrix->setModel(m_model);
    m_matrix->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_matrix->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_matrix->setSelectionMode(QAbstractItemView::NoSelection);
    auto* matrixBox = new QGroupBox(tr("Portability: slowdown of one GPU's best configuration on another"), this);
    auto* matrixLayout = new QVBoxLayout(matrixBox);
    matrixLayout->addWidget(m_matrix, 1);
    auto* legend = new QLabel(tr("Row: the GPU the configuration was tuned on. Column: the GPU it runs on. "
                                 "Each cell is its time there divided by that GPU's own best "
                                 "(1.00x = as fast; red = %1x or worse).")
                                  .arg(kSlowdownRedAt),
                              matrixBox);
    legend->setWordWrap(true);
    matrixLayout->addWidget(legend);
    matrixLayout->addWidget(m_crossCheck);
    connect(m_crossCheck, &CrossCheckBar::measured, this, &ComparisonView::reloadSessions);

    m_best->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_best->setSelectionMode(QAbstractItemView::NoSelection);
    m_best->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    auto* bestBox = new QGroupBox(tr("Best configuration of each GPU (differences in bold)"), this);
    auto* bestLayout = new QVBoxLayout(bestBox);
    bestLayout->addWidget(m_best);


    // The most portable configuration beside the matrix it summarises.
    auto* matrixRow = new QSplitter(Qt::Horizontal, this);
    matrixRow->addWidget(matrixBox);
    matrixRow->addWidget(m_portable);
    auto* tables = new QSplitter(Qt::Vertical, this);
    tables->addWidget(matrixRow);
    tables->addWidget(bestBox);
    // The matrix has a handful of rows; the parameter diff needs the height (13 rows for convolution).
    tables->setStretchFactor(1, 1);
    tables->setSizes({250, 650});
    auto* right = new QSplitter(Qt::Horizontal, this);
    right->addWidget(tables);
    right->addWidget(m_scatter);
    right->setSizes({560, 560});
    // The heat maps of every checked landscape, side by side, on one colour scale.
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("comparisonTabs"));
    m_tabs->addTab(right, tr("Portability and scatter"));
    m_landX = new QComboBox(this);
    m_landY = new QComboBox(this);
    m_landX->setObjectName(QStringLiteral("comparisonLandscapeX"));
    m_landY->setObjectName(QStringLiteral("comparisonLandscapeY"));
    m_sharedLo = m_sharedHi = std::nan("");
    auto* landscapes = new QWidget(this);
    auto* landLayout = new QVBoxLayout(landscapes);
    auto* landPickers = new QHBoxLayout;
    landPickers->addWidget(new QLabel(tr("Columns:"), landscapes));
    landPickers->addWidget(m_landX, 1);
    landPickers->addWidget(new QLabel(tr("Rows:"), landscapes));
    landPickers->addWidget(m_landY, 1);
    landLayout->addLayout(landPickers);
    m_landRow = new QWidget(landscapes);
    auto* row = new QHBoxLayout(m_landRow);
    row->setContentsMargins(0, 0, 0, 0);
    landLayout->addWidget(m_landRow, 1);
    auto* landNote = new QLabel(tr("Each cell: the best time over the other parameters. One colour scale for all "
                                   "GPUs (fastest to slowest cell of any of them), so a colour is the same time "
                                   "everywhere. A stored session leaves the cells it never measured empty."),
                                landscapes);
    landNote->setWordWrap(true);
    landLayout->addWidget(landNote);
    m_tabs->addTab(landscapes, tr("Landscapes (shared colour scale)"));
    connect(m_landX, &QComboBox::currentIndexChanged, this, &ComparisonView::drawLandscapes);
    connect(m_landY, &QComboBox::currentIndexChanged, this, &ComparisonView::drawLandscapes);

    auto* all = new QSplitter(Qt::Horizontal, this);
    all->addWidget(left);
    all->addWidget(m_tabs);
    all->setStretchFactor(1, 1);
    all->setSizes({260, 1140});
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(all);

    connect(m_kernel, &QComboBox::currentTextChanged, this, [this](const QString& kernel) {
        fillDatasets(kernel);
        recompute();
    });
    connect(m_datasets, &QListWidget::itemChanged, this, [this] {
        if (!m_filling)
            recompute();
    });
    fillKernels();
    resize(1400, 900);
}

void ComparisonView::fillKernels()
{
    auto entries = DeviceRegistry::list();
    if (!entries) {
        m_message->setText(entries.error());
        return;
    }
    QHash<QString, int> perKernel;
    for (const DeviceRegistry::Entry& e : entries.value()) {
        if (!e.id.startsWith(QLatin1String("replay:")))
            continue;
        m_kernelOf.insert(e.id, e.kernel);
        ++perKernel[e.kernel];
    }
    QStringList kernels = perKernel.keys();
    kernels.sort();
    // Open on the kernel recorded on the most GPUs (the convolution landscapes): a comparison
    // of one dataset shows nothing.
    QString busiest;
    for (const QString& k : std::as_const(kernels))
        if (busiest.isEmpty() || perKernel[k] > perKernel[busiest])
            busiest = k;
    const QSignalBlocker block(m_kernel);
    m_kernel->addItems(kernels);
    m_kernel->setCurrentText(busiest);
    fillDatasets(busiest);
    recompute();
}

void ComparisonView::fillDatasets(const QString& kernel)
{
    m_filling = true;
    m_datasets->clear();
    QStringList ids;
    for (auto it = m_kernelOf.cbegin(); it != m_kernelOf.cend(); ++it)
        if (it.value() == kernel)
            ids.append(it.key());
    ids.sort();
    QStringList names;
    for (const QString& id : std::as_const(ids))
        names.append(datasetName(id));
    const QString prefix = commonPrefix(names);
    for (const QString& id : std::as_const(ids)) {
        m_labelOf.insert(id, datasetName(id).mid(prefix.size()));
        auto* item = new QListWidgetItem(m_labelOf[id], m_datasets);
        item->setData(Qt::UserRole, id);
        item->setToolTip(id);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Checked);
    }
    fillSessions(kernel);
    m_filling = false;
}

void ComparisonView::setDatabasePath(const QString& path)
{
    m_databasePath = path;
    m_filling = true;
    for (int i = m_datasets->count() - 1; i >= 0; --i)
        if (m_datasets->item(i)->data(Qt::UserRole).toString().startsWith(kSessionPrefix))
            delete m_datasets->takeItem(i);
    fillSessions(m_kernel->currentText());
    m_filling = false;
}

void ComparisonView::fillSessions(const QString& kernel)
{
    if (m_databasePath.isEmpty())
        return;
    auto store = ResultStore::openForReading(m_databasePath);
    auto sessions = store ? store.value()->sessions() : Result<QVector<SessionRecord>>(Error{store.error()});
    if (!sessions) {
        m_message->setText(sessions.error());
        return;
    }
    for (const SessionRecord& r : sessions.value()) {
        if (r.kernel != kernel || (r.trialCount == 0 && !m_following.contains(r.id)))
            continue;
        if (r.strategyOptions.contains(QLatin1String("crossCheckOf")))
            continue; // part of the session it completes (LandscapeSource::session merges it)
        const QString id = kSessionPrefix + QString::number(r.id);
        m_labelOf.insert(id, tr("session %1 (%2)").arg(r.id).arg(r.device.name));
        auto* item = new QListWidgetItem(tr("Session %1: %2, %3, %Ln trial(s)", nullptr, r.trialCount)
                                             .arg(r.id)
                                             .arg(r.device.name, r.strategy),
                                         m_datasets);
        item->setData(Qt::UserRole, id);
        item->setToolTip(tr("Stored session %1 on %2 (%3); configurations it did not measure count as not in "
                            "its landscape")
                             .arg(r.id)
                             .arg(r.device.id, r.state));
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked); // datasets are the comparison; sessions are opt-in
    }
}

QCustomPlot* ComparisonView::scatter() const { return m_scatter->plot(); }
QString ComparisonView::scatterTitle() const { return m_scatter->title(); }

QStringList ComparisonView::checkedIds() const
{
    QStringList ids;
    for (int i = 0; i < m_datasets->count(); ++i)
        if (m_datasets->item(i)->checkState() == Qt::Checked)
            ids.append(m_datasets->item(i)->data(Qt::UserRole).toString());
    return ids;
}

void ComparisonView::setChecked(const QStringList& ids)
{
    if (!ids.isEmpty() && m_kernelOf.contains(ids.front()) && m_kernel->currentText() != m_kernelOf[ids.front()]) {
        const QSignalBlocker block(m_kernel);
        m_kernel->setCurrentText(m_kernelOf[ids.front()]);
        fillDatasets(m_kernel->currentText());
    }
    m_filling = true;
    for (int i = 0; i < m_datasets->count(); ++i) {
        QListWidgetItem* item = m_datasets->item(i);
        item->setCheckState(ids.contains(item->data(Qt::UserRole).toString()) ? Qt::Checked : Qt::Unchecked);
    }
    m_filling = false;
    recompute();
}

void ComparisonView::followSessions(const QList<qint64>& ids)
{
    m_following = ids;
    if (ids.isEmpty() || m_databasePath.isEmpty())
        return;
    auto store = ResultStore::openForReading(m_databasePath);
    auto record = store ? store.value()->session(ids.front()) : Result<SessionRecord>(Error{store.error()});
    if (!record) {
        m_message->setText(record.error());
        return;
    }
    // A kernel measured on a GPU worker may have no recorded dataset: it is listed all the same.
    const QString kernel = record->kernel;
    {
        const QSignalBlocker block(m_kernel);
        if (m_kernel->findText(kernel) < 0)
            m_kernel->addItem(kernel);
        m_kernel->setCurrentText(kernel);
    }
    fillDatasets(kernel); // lists the followed sessions, also those with no trial yet
    QStringList checked;
    for (qint64 id : ids)
        checked.append(kSessionPrefix + QString::number(id));
    setChecked(checked);
}

void ComparisonView::reloadSessions()
{
    for (auto it = m_loaded.begin(); it != m_loaded.end();)
        it = it.key().startsWith(kSessionPrefix) ? m_loaded.erase(it) : std::next(it);
    const QStringList checked = checkedIds();
    setDatabasePath(m_databasePath); // lists the sessions again
    setChecked(checked);
}

void ComparisonView::refreshFollowed()
{
    for (qint64 id : std::as_const(m_following))
        m_loaded.remove(kSessionPrefix + QString::number(id));
    recompute();
}

const Landscape* ComparisonView::landscape(const QString& id)
{
    auto it = m_loaded.find(id);
    if (it != m_loaded.end())
        return &it.value();
    // A stored session: its trials over the space it ran on; a dataset: its recorded landscape.
    // Core opens both the way `dejavu-tune compare` does, never starting a process.
    Result<Landscape> loaded = Error{QString()};
    if (id.startsWith(kSessionPrefix)) {
        auto store = ResultStore::openForReading(m_databasePath);
        loaded = store ? LandscapeSource::session(*store.value(), id.mid(kSessionPrefix.size()).toLongLong(), m_labelOf.value(id, id))
                       : Result<Landscape>(Error{store.error()});
    } else {
        loaded = LandscapeSource::dataset(id, m_labelOf.value(id, id));
    }
    if (!loaded) {
        m_message->setText(loaded.error());
        return nullptr;
    }
    return &m_loaded.insert(id, loaded.value()).value();
}

void ComparisonView::recompute()
{
    m_checked.clear();
    m_message->clear();
    QList<qint64> sessionIds; // per checked landscape, 0 for a dataset
    for (const QString& id : checkedIds()) {
        if (const Landscape* l = landscape(id)) {
            m_checked.push_back(*l);
            sessionIds.append(id.startsWith(kSessionPrefix) ? id.mid(kSessionPrefix.size()).toLongLong() : 0);
        }
    }
    auto portability = Portability::compute(m_checked);
    m_crossCheck->setComparison(m_databasePath, portability ? m_checked : std::vector<Landscape>{}, sessionIds);
    if (portability) {
        m_model->setMatrix(portability.value(), PortabilityEstimate::compute(m_checked, portability.value()));
        fitSections(m_matrix->horizontalHeader());
    } else {
        m_model->clear();
        if (m_message->text().isEmpty())
            m_message->setText(portability.error());
    }
    m_portable->setLandscapes(portability ? m_checked : std::vector<Landscape>{});
    fillBestTable();
    m_scatter->setLandscapes(portability ? m_checked : std::vector<Landscape>{});
    fillLandscapePickers();
    drawLandscapes();
    emit updated();
}

void ComparisonView::fillBestTable()
{
    m_best->clear();
    const Portability& p = m_model->matrix();
    if (p.size() == 0 || m_checked.empty()) {
        m_best->setRowCount(0);
        m_best->setColumnCount(0);
        return;
    }
    const ConfigSpace& space = m_checked.front().space;
    QStringList rows{tr("best time (ms)")};
    for (const Parameter& param : space.parameters())
        rows.append(param.name);
    m_best->setRowCount(int(rows.size()));
    m_best->setColumnCount(p.size());
    m_best->setVerticalHeaderLabels(rows);
    for (int g = 0; g < p.size(); ++g) {
        auto* header = new QTableWidgetItem(p.names()[g]);
        header->setToolTip(p.names()[g]);
        m_best->setHorizontalHeaderItem(g, header);
    }
    QVector<QJsonObject> configs;
    for (int g = 0; g < p.size(); ++g) {
        configs.append(m_checked[size_t(g)].space.config(m_checked[size_t(g)].bestIndex()));
        m_best->setItem(0, g, new QTableWidgetItem(QString::number(p.bestMs(g), 'g', 4)));
        m_best->item(0, g)->setToolTip(p.bestKey(g));
    }
    QFont bold = m_best->font();
    bold.setBold(true);
    for (int r = 1; r < rows.size(); ++r) {
        const QString& name = rows[r];
        bool differs = false;
        for (const QJsonObject& c : std::as_const(configs))
            differs = differs || c.value(name) != configs.front().value(name);
        for (int g = 0; g < p.size(); ++g) {
            auto* item = new QTableWidgetItem(valueText(configs[g].value(name)));
            if (differs) {
                item->setFont(bold);
                item->setBackground(slowdownColor(3.0)); // the matrix's amber: "this is where they part"
                item->setForeground(Qt::black);
            }
            m_best->setItem(r, g, item);
        }
    }
    for (int c = 0; c < m_best->columnCount(); ++c)
        for (int r = 0; r < m_best->rowCount(); ++r)
            m_best->item(r, c)->setTextAlignment(Qt::AlignCenter);
    fitSections(m_best->horizontalHeader());
}

void ComparisonView::fillLandscapePickers()
{
    const QString x = m_landX->currentText(), y = m_landY->currentText();
    const QSignalBlocker bx(m_landX), by(m_landY);
    m_landX->clear();
    m_landY->clear();
    if (m_checked.empty() || m_model->rowCount() == 0)
        return;
    QStringList names;
    QVector<int> varying;
    const ConfigSpace& space = m_checked.front().space;
    for (int p = 0; p < space.dimensions(); ++p) {
        names.append(space.parameters()[p].name);
        if (space.parameters()[p].values.size() > 1)
            varying.append(p);
    }
    m_landX->addItems(names);
    m_landY->addItems(names);
    // Keep the user's pair; otherwise the two parameters that matter most for the first GPU
    // would need core's ranking, so start with the first two that vary, as the session view does.
    m_landX->setCurrentIndex(names.contains(x) ? int(names.indexOf(x)) : varying.value(0, 0));
    m_landY->setCurrentIndex(names.contains(y) && y != m_landX->currentText() ? int(names.indexOf(y))
                                                                                : varying.value(1, names.size() > 1 ? 1 : 0));
}

void ComparisonView::setLandscapeAxes(const QString& xName, const QString& yName)
{
    {
        const QSignalBlocker bx(m_landX), by(m_landY);
        m_landX->setCurrentText(xName);
        m_landY->setCurrentText(yName);
    }
    drawLandscapes();
}

void ComparisonView::drawLandscapes()
{
    qDeleteAll(m_views);
    m_views.clear();
    m_sharedLo = m_sharedHi = std::nan("");
    const QString xName = m_landX->currentText(), yName = m_landY->currentText();
    if (m_model->rowCount() == 0 || xName.isEmpty() || xName == yName)
        return;
    std::vector<LandscapeGrid> grids;
    for (const Landscape& l : m_checked) {
        int xi = -1, yi = -1;
        for (int p = 0; p < l.space.dimensions(); ++p) {
            xi = l.space.parameters()[p].name == xName ? p : xi;
            yi = l.space.parameters()[p].name == yName ? p : yi;
        }
        auto grid = LandscapeGrid::fromLandscape(l, xi, yi);
        if (!grid) {
            m_message->setText(grid.error());
            return;
        }
        grids.push_back(grid.value());
        // The shared scale: from the fastest cell of any GPU to the slowest cell of any.
        if (std::isfinite(grids.back().minMs())) {
            m_sharedLo = std::isfinite(m_sharedLo) ? std::min(m_sharedLo, grids.back().minMs()) : grids.back().minMs();
            m_sharedHi = std::isfinite(m_sharedHi) ? std::max(m_sharedHi, grids.back().maxMs()) : grids.back().maxMs();
        }
    }
    auto* row = static_cast<QHBoxLayout*>(m_landRow->layout());
    for (size_t i = 0; i < grids.size(); ++i) {
        auto* view = new LandscapeView(m_landRow);
        view->setObjectName(QStringLiteral("comparisonLandscape%1").arg(i));
        view->setPickersVisible(false);
        view->setTitle(m_checked[i].name);
        view->setSpace(m_checked[i].space);
        view->setAxes(grids[i].xParameter(), grids[i].yParameter());
        view->setColorRange(m_sharedLo, m_sharedHi);
        view->setGrid(grids[i]);
        row->addWidget(view, 1);
        m_views.append(view);
    }
}

} // namespace dv::studio
