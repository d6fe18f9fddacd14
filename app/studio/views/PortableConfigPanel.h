#pragma once

#include "analysis/Landscape.h"

#include <QGroupBox>

#include <vector>

class QLabel;
class QTableWidget;

namespace dv::studio {

/// "Most portable configuration", beside the portability matrix: core's dv::PortableConfig over
/// the checked landscapes, its two variants side by side (minimax: the smallest worst slowdown;
/// geomean: the smallest geometric mean), each with its slowdown on every GPU and its parameters,
/// and a line saying how many configurations qualified and what was excluded (failed somewhere,
/// or not measured on some GPU). `dejavu-tune compare --export-default` writes it.
class PortableConfigPanel : public QGroupBox {
    Q_OBJECT
public:
    explicit PortableConfigPanel(QWidget* parent = nullptr);

    /// Recomputes from these landscapes (fewer than two: cleared).
    void setLandscapes(const std::vector<Landscape>& landscapes);

    QTableWidget* table() const { return m_table; }
    /// The qualification line, or why there is no portable configuration.
    QString summary() const;

private:
    QTableWidget* m_table;
    QLabel* m_summary;
};

} // namespace dv::studio
