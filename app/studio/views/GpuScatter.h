#pragma once

#include "analysis/Landscape.h"

#include <QGroupBox>

#include <vector>

class QComboBox;
class QCPTextElement;
class QCustomPlot;

namespace dv::studio {

/// "Same configuration, two GPUs": a log-log scatter of two compared landscapes' times over the
/// configurations that ran ok on both, titled with Spearman's rank correlation (core's
/// Portability::spearman), or a warning in the theme's warning colour when the common
/// configurations are too few to trust. Two pickers choose the pair.
class GpuScatter : public QGroupBox {
    Q_OBJECT
public:
    explicit GpuScatter(QWidget* parent = nullptr);

    /// The compared landscapes (fewer than two: an empty plot saying so). Keeps the chosen pair
    /// when both are still there.
    void setLandscapes(const std::vector<Landscape>& landscapes);
    QCustomPlot* plot() const { return m_scatter; }
    /// The title: the rank correlation, or the warning.
    QString title() const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void fillPickers();
    void drawScatter();

    std::vector<Landscape> m_landscapes;
    QComboBox* m_gpuA;
    QComboBox* m_gpuB;
    QCustomPlot* m_scatter;
    QCPTextElement* m_title;
    bool m_titleWarns = false; ///< the title is a warning (too few common configurations)
};

} // namespace dv::studio
