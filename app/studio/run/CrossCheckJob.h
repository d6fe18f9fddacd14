#pragma once

#include "analysis/CrossCheck.h"
#include "base/Result.h"

#include <QHash>
#include <QString>
#include <QStringList>
#include <QVector>

namespace dv::studio {

/// The comparison's "Cross-check…": core's CrossCheck as `dejavu-tune compare --cross-check`
/// runs it. The devices are the ones the user typed per session (a stored device is shown in
/// the dialog, never opened by itself). run() opens its own result-store connection, so it may
/// run in any thread (the dialog runs it in the thread pool).
class CrossCheckJob {
public:
    QString databasePath;
    QVector<CrossCheckTarget> targets;
    QHash<qint64, QString> devices; ///< target session id -> the device id the user gave

    /// One line per new session; an error (core's text) when a device is missing, refused or a
    /// session fails. Every device is opened and checked before anything is measured.
    Result<QStringList> run() const;
};

} // namespace dv::studio
