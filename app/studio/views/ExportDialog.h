#pragma once

#include "run/ExportJob.h"
#include "session/ResultStore.h"

#include <QDialog>
#include <QFutureWatcher>
#include <QPair>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace dv::studio {

/// File > Export…: stored sessions, a format of core (csv, kerneltuner, dejavu, vllm,
/// triton-cache, bundle) with the inputs it needs (a deployment file for dejavu and
/// triton-cache, the fused-MoE layer for vllm) and a file or directory. The export runs in the
/// thread pool with a busy progress bar; the dialog then shows what was written (with the
/// coverage of a ladder) or the core's error text.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    ExportDialog(const QString& databasePath, const QVector<SessionRecord>& sessions, qint64 selectedId,
                 QWidget* parent = nullptr);

    /// Fill the widgets (tests and the window's defaults); the export starts with start().
    void setFormat(const QString& format);
    void setPath(const QString& path);
    void setDeploymentFile(const QString& path);
    QString message() const;
    /// The files per key and the coverage table of the last ladder export; empty otherwise.
    QString details() const;
    bool isBusy() const { return m_watcher.isRunning(); }

public slots:
    void start();

signals:
    /// The export ended: `ok` with what was written in message(), or the error.
    void exported(bool ok, const QString& message);

private:
    void browse();
    void browseDeployment();
    void done();
    void finish(bool ok, const ExportOutcome& outcome);
    void suggestPath();
    void formatChanged();
    QVector<qint64> selectedIds() const;

    QString m_databasePath;
    QListWidget* m_sessions;
    QComboBox* m_format;
    QLabel* m_pathLabel;
    QLineEdit* m_path;
    QLineEdit* m_deployment;
    QGroupBox* m_vllm;
    QSpinBox* m_experts;
    QSpinBox* m_n;
    QComboBox* m_dtype;
    QLineEdit* m_blockShape;
    QLineEdit* m_deviceName;
    QLineEdit* m_tritonVersion;
    QSpinBox* m_keyPosition;
    QCheckBox* m_force;
    QFormLayout* m_form;
    QWidget* m_deploymentRow;
    QProgressBar* m_progress;
    QLabel* m_message;
    QPlainTextEdit* m_details;
    QPushButton* m_export;
    bool m_userPath = false; ///< the user chose the path; stop suggesting one
    QFutureWatcher<QPair<bool, ExportOutcome>> m_watcher; ///< ok, then the outcome (its message is the error when not ok)
};

} // namespace dv::studio
