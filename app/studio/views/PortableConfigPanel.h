#pragma once

#include "analysis/Landscape.h"
#include "analysis/PortableConfig.h"
#include "base/Result.h"

#include <QGroupBox>

#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace dv::studio {

/// "Most portable configuration", beside the portability matrix: core's dv::PortableConfig over
/// the checked landscapes, its two variants side by side (minimax: the smallest worst slowdown;
/// geomean: the smallest geometric mean), each with its slowdown on every GPU and its parameters,
/// and a line saying how many configurations qualified and what was excluded (failed somewhere,
/// or not measured on some GPU). "Export as default…" writes it as the default for GPUs with no
/// tuned entry, as `dejavu-tune compare --export-default` does (PortableDefaultExporter: a
/// triton-dejavu fallback module, a vLLM config body or JSON).
class PortableConfigPanel : public QGroupBox {
    Q_OBJECT
public:
    explicit PortableConfigPanel(QWidget* parent = nullptr);

    /// Recomputes from these landscapes (fewer than two: cleared).
    void setLandscapes(const std::vector<Landscape>& landscapes);

    QTableWidget* table() const { return m_table; }
    /// The qualification line, or why there is no portable configuration.
    QString summary() const;

    QComboBox* formatBox() const { return m_format; }
    QComboBox* criterionBox() const { return m_criterion; }
    QPushButton* exportButton() const { return m_export; }
    /// Writes the portable configuration in the chosen format and criterion to `path` (the
    /// button asks for it); another file there only with `force`. The message is shown too.
    Result<void> exportDefault(const QString& path, bool force);
    /// The last export's message (written to, or why not).
    QString exportMessage() const;

private:
    void chooseAndExport();

    QTableWidget* m_table;
    QLabel* m_summary;
    QComboBox* m_format;
    QComboBox* m_criterion;
    QPushButton* m_export;
    QLabel* m_exportMessage;
    std::optional<PortableConfig> m_portable;
    QString m_kernel;
};

} // namespace dv::studio
