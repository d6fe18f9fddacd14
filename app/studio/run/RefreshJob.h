#pragma once

#include "base/Result.h"
#include "export/Refresh.h"

#include <QList>
#include <QString>

namespace dv::studio {

/// "Refresh on this GPU": core's Refresh recipe as `dejavu-tune refresh` runs it, for the studio.
/// The old platform is stored sessions of `databasePath` or a bundle; the device is the one the
/// user typed (never one read from the store or the bundle). run() opens its own result-store
/// connection, so it may run in any thread (the dialog runs it in the thread pool).
class RefreshJob {
public:
    QString databasePath;     ///< the sessions' store, and where the new sessions go
    QList<qint64> sessionIds; ///< the old platform's sessions; empty: bundlePath
    QString bundlePath;
    QString deviceTemplate;   ///< a device id, with {key} for several keys
    int keyPosition = 0;
    RefreshSettings settings;

    /// Every new session's row; an error (the core's text) when nothing could start.
    Result<QVector<RefreshRow>> run() const;
};

} // namespace dv::studio
