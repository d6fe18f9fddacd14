#pragma once

#include "analysis/Portability.h"
#include "analysis/PortabilityEstimate.h"

#include <QAbstractTableModel>

namespace dv::studio {

/// Core's portability matrix as a table: row i = the GPU a configuration was tuned on, column j =
/// the GPU it runs on, each cell the slowdown of i's best configuration on j relative to j's own
/// best ("1.00x", "20.4x"), the failure status when it did not run there, or "not measured on X"
/// when X is a session that never ran that configuration (with the surrogate's estimate, marked
/// as one, when PortabilityEstimate has it). Thin by design: every
/// number is dv::Portability's; the model only formats and colours them.
class PortabilityModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Roles {
        SlowdownRole = Qt::UserRole + 1, ///< double, core's slowdown(i, j); NaN when it did not run
        StatusRole,                      ///< dv::Status as int, core's status(i, j)
        BestKeyRole,                     ///< QString, the configuration key tuned on the row's GPU
        EstimateRole,                    ///< double, the surrogate's estimate of an unmeasured cell; NaN otherwise
    };

    using QAbstractTableModel::QAbstractTableModel;

    /// `estimates` (PortabilityEstimate) fill the cells nobody measured, shown as estimates ("~1.4x est.", italic).
    void setMatrix(const Portability& portability, const PortabilityEstimate& estimates = {});
    void clear();
    const Portability& matrix() const { return m_portability; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    const EstimatedSlowdown* estimate(int i, int j) const;

    Portability m_portability;
    PortabilityEstimate m_estimates;
};

} // namespace dv::studio
