#pragma once

#include "base/Result.h"
#include "models/SpaceDraft.h"

#include <QFutureWatcher>
#include <QTimer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTableWidget;

namespace dv {
class ConfigSpace;
}

namespace dv::studio {

/// Edits a configuration space: parameter values as text in a table, constraints one per line.
/// Every edit is checked (debounced) where it is written: a bad row is marked in the table and a
/// bad constraint line is underlined, with the core's message as tooltip and below the editor.
/// The number of valid configurations is recounted off the GUI thread after each change.
class SpaceEditor : public QWidget {
    Q_OBJECT
public:
    static constexpr int kDebounceMs = 150;

    explicit SpaceEditor(QWidget* parent = nullptr);

    /// Shows `space` (a dataset's parameters or a space file); `source` names it in the title.
    void loadSpace(const ConfigSpace& space, const QString& source);
    /// Reads a space file (docs/space-format.md); on error the editor is left unchanged.
    Result<void> openFile(const QString& path);
    /// Writes the edited space atomically (SafeFile: a regular file only); a space with errors is not written.
    Result<void> saveFile(const QString& path);

    SpaceDraft draft() const;
    /// Errors of the last check, by constraint line (0-based).
    QMap<int, QString> constraintErrors() const { return m_checked.constraintErrors; }
    QMap<int, QString> parameterErrors() const { return m_checked.parameterErrors; }
    /// Valid configurations of the last count, or -1 while the space has errors or is being counted.
    qint64 validCount() const { return m_validCount; }
    QString sourceName() const { return m_source; }

signals:
    /// After every check: `valid` is -1 when the space has errors.
    void counted(qint64 valid);
    /// The user asks for the selected device's space (the panel knows the device).
    void deviceSpaceRequested();

private:
    void scheduleCheck();
    void check();
    void startCount();
    void countFinished();
    void markErrors();
    bool eventFilter(QObject* watched, QEvent* event) override;
    void addRow(const QString& name, const QString& values);

    QLineEdit* m_name;
    QTableWidget* m_table;
    QPlainTextEdit* m_constraints;
    QLabel* m_count;
    QLabel* m_errors;
    QLabel* m_title;
    QString m_source;
    QTimer m_debounce;
    SpaceDraft::Checked m_checked;
    QFutureWatcher<SpaceDraft::Count> m_counting;
    bool m_recountPending = false;
    bool m_loading = false;
    qint64 m_validCount = -1;
};

} // namespace dv::studio
