#pragma once

#include "run/RefreshJob.h"

#include <QDialog>
#include <QFutureWatcher>
#include <QPair>

class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace dv::studio {

/// Session > Refresh on this GPU…: a ladder's stored sessions (or a bundle) and the device to
/// re-tune it on; runs core's Refresh recipe (RefreshJob) in the thread pool and shows its report.
class RefreshDialog : public QDialog {
    Q_OBJECT
public:
    /// `sessionIds`: the ladder offered (the sessions of the opened session's GPU); `deviceId`:
    /// the device of the set-up panel.
    RefreshDialog(const QString& databasePath, const QList<qint64>& sessionIds, const QString& deviceId,
                  QWidget* parent = nullptr);

    void setSessions(const QString& ids);
    void setBundle(const QString& path);
    void setDevice(const QString& deviceId);
    void setBudget(int evaluations);
    /// The report table of the last run, or its error.
    QString report() const;
    bool isBusy() const { return m_watcher.isRunning(); }

public slots:
    void start();

signals:
    /// The refresh ended: `ok` when every key was refreshed (new sessions are in the store).
    void refreshed(bool ok);

private:
    void done();

    QString m_databasePath;
    QLineEdit* m_sessions = nullptr;
    QLineEdit* m_bundle = nullptr;
    QLineEdit* m_device = nullptr;
    QSpinBox* m_budget = nullptr;
    QPushButton* m_start = nullptr;
    QPlainTextEdit* m_report = nullptr;
    QFutureWatcher<QPair<bool, QString>> m_watcher; // ok, the report table or the error
};

} // namespace dv::studio
