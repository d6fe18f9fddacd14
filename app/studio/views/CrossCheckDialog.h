#pragma once

#include "run/CrossCheckJob.h"

#include <QDialog>
#include <QFutureWatcher>
#include <QHash>
#include <QPair>

class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace dv::studio {

/// The comparison's "Cross-check…": for each compared session that never ran the other GPUs'
/// best configurations, what it lacks and a device field. The field starts empty: the session's
/// stored device is shown beside it and taken only when the user clicks "Use" (a device read
/// from a store is data until the user gives it again). Runs CrossCheckJob in the thread pool.
class CrossCheckDialog : public QDialog {
    Q_OBJECT
public:
    CrossCheckDialog(const QString& databasePath, const QVector<CrossCheckTarget>& targets, QWidget* parent = nullptr);

    /// The device field of target session `sessionId` (tests type into it).
    QLineEdit* deviceField(qint64 sessionId) const { return m_devices.value(sessionId); }
    /// The report of the last run, or its error.
    QString report() const;
    bool isBusy() const { return m_watcher.isRunning(); }

public slots:
    void start();

signals:
    /// The cross-check ended: `ok` when every session was measured (the new sessions are stored).
    void crossChecked(bool ok);

private:
    void done();

    QString m_databasePath;
    QVector<CrossCheckTarget> m_targets;
    QHash<qint64, QLineEdit*> m_devices;
    QPushButton* m_start = nullptr;
    QPlainTextEdit* m_report = nullptr;
    QFutureWatcher<QPair<bool, QString>> m_watcher; // ok, the report or the error
};

} // namespace dv::studio
