#pragma once

#include "ResultStore.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

class QCommandLineParser;

namespace dv::cli {

/// Exit codes of every subcommand.
constexpr int kOk = 0;
constexpr int kFailed = 1;   ///< a failure while running (device, store)
constexpr int kBadInput = 2; ///< bad usage or bad input; nothing was written
constexpr int kNoResult = 3;     ///< a session ran but no configuration succeeded ("best: none")
constexpr int kInterrupted = 130; ///< stopped by Ctrl-C (SIGINT), after the trial in flight; resumable
constexpr int kTerminated = 143;  ///< stopped by SIGTERM, after the trial in flight; resumable

/// "dejavu-tune: <text>" on stderr.
void err(const QString& text);
/// A line on stdout.
void out(const QString& text);
/// The result database used when --db is not given.
QString defaultDatabase();
/// Parses a subcommand's options (adds --help); prints the problem and returns false on bad usage.
bool parse(QCommandLineParser& p, const QStringList& args, const QString& description, bool positional = false);
/// Reads an optional integer option >= minimum into `value`; false (after a message) when malformed.
bool intOption(const QCommandLineParser& p, const QString& name, qint64 minimum, qint64& value);
/// Reads an optional non-negative number option into `value`; false (after a message) when malformed.
bool doubleOption(const QCommandLineParser& p, const QString& name, double& value);
QString compactJson(const QJsonObject& o);
/// Opens a result database that must already exist (a mistyped path must not create an empty one);
/// null after a message naming the path.
std::unique_ptr<ResultStore> openExistingStore(const QString& path);
/// For commands that only read (sessions, export, ladder --coverage, bundle create): an existing
/// store, opened read-only when this process may not write it (ResultStore::openForReading).
std::unique_ptr<ResultStore> openStoreForReading(const QString& path);

} // namespace dv::cli
