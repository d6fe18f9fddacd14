#include "analysis/PortabilityEstimate.h"

#include "search/model/GaussianProcess.h"
#include "space/ConfigEncoder.h"

#include <cmath>
#include <memory>
#include <random>
#include <stdexcept>

namespace dv {

namespace {

/// GPU j's surrogate, fitted once for all the cells of its column.
struct ColumnModel {
    bool fitted = false;
    int observations = 0;
    ConfigEncoder encoder;
    GaussianProcess gp;

    ColumnModel(const Landscape& l, quint64 seed)
        : encoder(l.space)
    {
        std::vector<qint64> ok;
        for (qint64 k = 0; k < l.size(); ++k)
            if (l.isMeasured(k) && l.isOk(k) && l.objectiveMs[size_t(k)] > 0)
                ok.push_back(k);
        observations = int(ok.size());
        if (observations < PortabilityEstimate::kMinObservations || encoder.dimensions() == 0)
            return;
        Eigen::VectorXd y(observations);
        for (int r = 0; r < observations; ++r)
            y[r] = std::log(l.objectiveMs[size_t(ok[size_t(r)])]);
        GpOptions options;
        options.lengthScaleGroups = encoder.lengthScaleGroups();
        options.threads = 1;
        std::mt19937_64 rng(seed);
        try {
            gp.fit(encoder.encode(ok), y, rng, options);
            fitted = true;
        } catch (const std::exception&) {
            fitted = false; // degenerate data (all times equal): no estimate rather than a wrong one
        }
    }
};

} // namespace

PortabilityEstimate PortabilityEstimate::compute(const std::vector<Landscape>& landscapes, const Portability& matrix, quint64 seed)
{
    PortabilityEstimate e;
    e.m_size = matrix.size();
    e.m_cells.assign(size_t(e.m_size) * size_t(e.m_size), EstimatedSlowdown{});
    if (int(landscapes.size()) != e.m_size)
        return e;
    for (int j = 0; j < e.m_size; ++j) {
        std::unique_ptr<ColumnModel> model;
        for (int i = 0; i < e.m_size; ++i) {
            if (i == j || !matrix.unmeasured(i, j))
                continue;
            const Landscape& li = landscapes[size_t(i)];
            const Landscape& lj = landscapes[size_t(j)];
            const qint64 k = lj.space.indexOf(li.space.config(li.bestIndex()));
            if (k < 0)
                continue;
            if (!model)
                model = std::make_unique<ColumnModel>(lj, seed);
            if (!model->fitted)
                break;
            Eigen::VectorXd mean, variance;
            model->gp.predict(model->encoder.encode({k}), mean, variance);
            const double sd = std::sqrt(std::max(0.0, variance[0]));
            EstimatedSlowdown& cell = e.m_cells[size_t(i) * size_t(e.m_size) + size_t(j)];
            const double best = matrix.bestMs(j);
            cell.slowdown = std::exp(mean[0]) / best;
            cell.low = std::exp(mean[0] - 1.96 * sd) / best;
            cell.high = std::exp(mean[0] + 1.96 * sd) / best;
            cell.observations = model->observations;
        }
    }
    return e;
}

bool PortabilityEstimate::any() const
{
    for (const EstimatedSlowdown& c : m_cells)
        if (c.isValid())
            return true;
    return false;
}

} // namespace dv
