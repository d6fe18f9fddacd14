// `dejavu-tune`: the command list and the dispatch to the commands, each in its *Command.cpp.
#include "Cli.h"

#include "CliSupport.h"

#include <cstdio>

namespace dv {

using namespace cli;

int Cli::usage(bool asked)
{
    // Asked for (--help, help): the answer, on stdout, exit 0. Otherwise a usage error.
    std::fprintf(asked ? stdout : stderr,
                 "usage: dejavu-tune <command> [options]   (dejavu-tune <command> --help, or dejavu-tune help <command>, for details)\n\n"
                 "commands:\n"
                 "  devices           list the devices: recorded landscapes and this build's GPU workers\n"
                 "  tune              run or resume a tuning session, stored in a result database\n"
                 "  replay            run one search on a dataset and print every evaluation as a JSON line\n"
                 "  sessions          list the sessions of a result database\n"
                 "  export            write a session's trials (csv, kerneltuner, t4) or a ladder of sessions in the\n"
                 "                    formats deployments load (dejavu, vllm, sglang, triton-cache)\n"
                 "  space             check a configuration-space file and count its valid configurations\n"
                 "  bench-strategies  score search strategies on recorded landscapes\n"
                 "  ladder            tune one session per problem key, warm-started; --coverage reports a ladder\n"
                 "  bundle            create, inspect, verify, import or merge portable bundles of sessions and exports\n"
                 "  compare           GPUs side by side: portability matrix, rank correlations, the most portable\n"
                 "                    configuration of sessions or datasets; --export-default writes it\n"
                 "  refresh           re-tune a ladder (stored sessions or a bundle) on another device from what it knows\n"
                 "  help [COMMAND]    this list, or a command's options\n\n"
                 "exit status: 0 ok; 1 a failure while running; 2 bad usage or input (nothing written);\n"
                 "3 a session ran but no configuration succeeded; 130, 143 stopped by Ctrl-C, SIGTERM (resumable)\n");
    return asked ? kOk : kBadInput;
}

int Cli::run(const QStringList& arguments)
{
    if (arguments.size() < 2)
        return usage(false);
    const QString command = arguments.at(1);
    if (command == QLatin1String("help") && arguments.size() > 2)
        return run({arguments.at(0), arguments.at(2), QStringLiteral("--help")});
    if (command == QLatin1String("--help") || command == QLatin1String("-h") || command == QLatin1String("help"))
        return usage(true);
    if (command == QLatin1String("--version")) {
        out(QStringLiteral("dejavu-tune 0.1.0"));
        return kOk;
    }
    QStringList rest = arguments;
    rest.removeAt(1);
    // QCommandLineParser skips the first argument; it names the command in the usage line.
    rest[0] = QStringLiteral("dejavu-tune ") + command;
    if (command == QLatin1String("devices"))
        return devices(rest);
    if (command == QLatin1String("tune"))
        return tune(rest);
    if (command == QLatin1String("replay"))
        return replay(rest);
    if (command == QLatin1String("sessions"))
        return sessions(rest);
    if (command == QLatin1String("export"))
        return exportTrials(rest);
    if (command == QLatin1String("space"))
        return space(rest);
    if (command == QLatin1String("bench-strategies"))
        return benchStrategies(rest);
    if (command == QLatin1String("ladder"))
        return ladder(rest);
    if (command == QLatin1String("bundle"))
        return bundle(rest);
    if (command == QLatin1String("compare"))
        return compare(rest);
    if (command == QLatin1String("refresh"))
        return refresh(rest);
    err(QStringLiteral("unknown command '%1'").arg(command));
    return usage(false);
}

} // namespace dv
