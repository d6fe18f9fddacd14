#pragma once

#include <QStringList>

namespace dv {

/// The `dejavu-tune` command line: each subcommand wires core objects to the terminal.
/// Exit codes: cli::kOk and the others in CliSupport.h.
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
    static int compare(const QStringList& args);
    static int refresh(const QStringList& args);
    /// The command list: on stdout with exit 0 when `asked` (--help), else on stderr with exit 2.
    static int usage(bool asked);
};

} // namespace dv
