#pragma once

#include <QStringList>

#include "engine/consolesettings.h"
#include "engine/engine.h"

// The command line of both modes (console and --headless), parsed with QCommandLineParser.
struct CommandLine
{
    enum class Outcome
    {
        Run = 1,
        ExitOk,   // --help or --version was printed
        ExitError // a message naming the problem was printed
    };

    bool headless = false;
    Engine::Options engine;

    // Parses the application's arguments. Must run after the Q(Core)Application exists. The
    // saved settings are the defaults; what the command line says wins for this run.
    static CommandLine parse(const QStringList &arguments, const ConsoleSettings &defaults, Outcome *outcome);
    // Looked up before the application object exists, to choose QApplication or
    // QCoreApplication.
    static bool wantsHeadless(int argc, char **argv);
    static QString defaultDatabasePath();
    // The admin token for this run, into access (token and where it came from): the
    // --admin-token-file, else VOTEDESK_ADMIN_TOKEN, else the file saved in Settings. A file or
    // value given for this run that cannot be used is an error (false, message); the saved
    // file's problem is only kept in access->adminTokenProblem (true): remote admin stays off.
    static bool resolveAdminToken(const QString &commandLinePath, const QString &environment,
                                  const QString &savedPath, AccessOptions *access, QString *error);
};
