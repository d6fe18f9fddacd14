#pragma once

#include "analysis/Landscape.h"

#include <QHash>
#include <QVector>
#include <QWidget>

#include <vector>

class QComboBox;
class QCustomPlot;
class QLabel;
class QListWidget;
class QTabWidget;
class QTableView;
class QTableWidget;

namespace dv::studio {

class CrossCheckBar;
class GpuScatter;
class LandscapeView;
class PortabilityModel;
class PortableConfigPanel;

/// "GPUs side by side": recorded landscapes of one kernel space on several GPUs, compared through
/// core's dv::Portability. Shows the portability matrix (the cost of running one GPU's best
/// configuration on another) with the most portable configuration beside it (PortableConfigPanel), each GPU's best configuration with the parameters that differ
/// highlighted, and a log-log scatter of two GPUs' times over their common ok configurations with
/// Spearman's rank correlation. A second tab shows the landscape of each GPU over two parameters
/// with ONE colour scale for all, so a colour means the same time everywhere. Besides the
/// recorded datasets it lists the stored sessions of the same kernel (setDatabasePath), whose
/// measured configurations compare like a partial landscape. Every number is core's; this widget
/// only lays them out.
class ComparisonView : public QWidget {
    Q_OBJECT
public:
    explicit ComparisonView(QWidget* parent = nullptr);

    PortabilityModel* portabilityModel() const { return m_model; }
    /// The most portable configuration of the checked landscapes, beside the matrix.
    PortableConfigPanel* portablePanel() const { return m_portable; }
    QListWidget* datasetList() const { return m_datasets; }
    /// What the compared sessions never measured, and the button that cross-checks it.
    CrossCheckBar* crossCheckBar() const { return m_crossCheck; }
    QTableWidget* bestTable() const { return m_best; }
    QCustomPlot* scatter() const;
    /// What the scatter's title says (also read by tests): Spearman's rho over the common
    /// configurations, or a warning when they are too few (RankCorrelation::fewCommon).
    QString scatterTitle() const;
    GpuScatter* scatterBox() const { return m_scatter; }
    /// The ids of the checked datasets, in list order.
    QStringList checkedIds() const;
    /// Checks exactly these datasets (switching the kernel if needed) and recomputes once.
    void setChecked(const QStringList& ids);
    /// Lists the sessions of this result store next to the datasets (ids "session:<n>").
    void setDatabasePath(const QString& path);

    /// Follows sessions that are running (a pool of GPU types: one session per type): lists them
    /// even before their first trial, switches to their kernel and checks exactly them, so their
    /// landscapes show side by side; refreshFollowed() reloads them with the trials stored since.
    void followSessions(const QList<qint64>& ids);
    void refreshFollowed();
    /// Reads every checked session again (after a cross-check stored what they lacked).
    void reloadSessions();
    QList<qint64> followedSessions() const { return m_following; }

    QTabWidget* tabs() const { return m_tabs; }
    /// One heat map per checked landscape, in list order.
    const QVector<LandscapeView*>& landscapeViews() const { return m_views; }
    /// The colour range all heat maps share (fastest and slowest cell over all of them), in ms.
    double sharedLow() const { return m_sharedLo; }
    double sharedHigh() const { return m_sharedHi; }
    /// Picks the heat maps' parameters by name (the landscapes may order them differently).
    void setLandscapeAxes(const QString& xName, const QString& yName);

signals:
    /// After the matrix, best-configuration table and scatter show the checked datasets.
    void updated();

private:
    void fillKernels();
    void fillDatasets(const QString& kernel);
    void recompute();
    void fillBestTable();
    void fillSessions(const QString& kernel);
    void fillLandscapePickers();
    void drawLandscapes();
    /// The dataset's landscape, loaded once; nullptr (and the message shown) when it cannot be.
    const Landscape* landscape(const QString& id);

    QHash<QString, QString> m_kernelOf; ///< dataset id -> kernel name
    QHash<QString, QString> m_labelOf;  ///< dataset id -> short GPU label ("A100")
    QHash<QString, Landscape> m_loaded;
    std::vector<Landscape> m_checked;   ///< what the matrix was computed on, in list order
    bool m_filling = false;

    QComboBox* m_kernel;
    QListWidget* m_datasets;
    QLabel* m_message;
    PortabilityModel* m_model;
    QTableView* m_matrix;
    QTableWidget* m_best;
    GpuScatter* m_scatter;
    PortableConfigPanel* m_portable;
    CrossCheckBar* m_crossCheck;
    QTabWidget* m_tabs;
    QComboBox* m_landX;
    QComboBox* m_landY;
    QWidget* m_landRow;
    QVector<LandscapeView*> m_views;
    double m_sharedLo;
    double m_sharedHi;
    QString m_databasePath;
    QList<qint64> m_following;
};

} // namespace dv::studio
