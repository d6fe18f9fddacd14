#pragma once

#include "ExportJob.h"
#include "ResultStore.h"

#include <QDialog>
#include <QFutureWatcher>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;

namespace dv::studio {

/// File > Export…: a stored session (several for a bundle), a format and a file. The export runs in the thread pool
/// with a busy progress bar; the dialog then shows the written path or the core's error text.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    ExportDialog(const QString& databasePath, const QVector<SessionRecord>& sessions, qint64 selectedId,
                 QWidget* parent = nullptr);

    /// Fills the widgets (tests and the window's defaults); the export starts with start().
    void setFormat(const QString& format);
    void setPath(const QString& path);
    QString message() const;
    bool isBusy() const { return m_watcher.isRunning(); }

public slots:
    void start();

signals:
    /// The export ended: `ok` with the written path in message(), or the error.
    void exported(bool ok, const QString& message);

private:
    void browse();
    void done();
    void suggestPath();
    void formatChanged();
    QVector<qint64> selectedIds() const;

    QString m_databasePath;
    QListWidget* m_sessions;
    QComboBox* m_format;
    QLineEdit* m_path;
    QProgressBar* m_progress;
    QLabel* m_message;
    QPushButton* m_export;
    bool m_userPath = false; ///< the user chose the file; stop suggesting one
    QFutureWatcher<QPair<bool, QString>> m_watcher; ///< ok, then the message or the error
};

} // namespace dv::studio
