#pragma once

#include <QStringList>

namespace dv {

/// The `dejavu-tune` command line: each subcommand wires core objects to the terminal.
/// Exit codes: 0 success, 1 a failure while running (device, store), 2 bad usage or bad input.
class Cli {
public:
    static int run(const QStringList& arguments);

private:
    static int devices(const QStringList& args);
    static int tune(const QStringList& args);
    static int replay(const QStringList& args);
    static int sessions(const QStringList& args);
    static int exportTrials(const QStringList& args);
    static int space(const QStringList& args);
    static int benchStrategies(const QStringList& args);
    static int ladder(const QStringList& args);
    static int bundle(const QStringList& args);
    static int usage();
};

} // namespace dv
