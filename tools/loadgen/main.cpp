// votedesk-loadgen: the audience simulator that proves nothing was lost (README, "Load
// generator"). main() only parses the command line and hands over to runLoadgen().
#include <csignal>
#include <cstdio>

#include <QCoreApplication>

#include "commandline.h"
#include "loadgenapp.h"
#include "loadrunner.h"

using namespace Qt::Literals::StringLiterals;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"votedesk-loadgen"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(VOTEDESK_VERSION));

    LoadgenOptions options;
    QString error;
    switch (parseLoadgenCommandLine(QCoreApplication::arguments(), &options, &error)) {
    case CommandLineResult::Help:
        std::fputs(loadgenHelpText().toUtf8().constData(), stdout);
        return 0;
    case CommandLineResult::Version:
        std::printf("votedesk-loadgen %s\n", VOTEDESK_VERSION);
        return 0;
    case CommandLineResult::Error:
        std::fprintf(stderr, "votedesk-loadgen: %s\n(see votedesk-loadgen --help)\n",
                     error.toUtf8().constData());
        return 2;
    case CommandLineResult::Run:
        break;
    }
    // Ctrl+C ends the schedule early; the run still drains, reports and verifies.
    std::signal(SIGINT, [](int) { LoadRunner::requestStop(); });
    std::signal(SIGPIPE, SIG_IGN);
    return runLoadgen(options, stdout, stderr);
}
