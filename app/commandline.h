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
    // The admin token from a file (owner-readable only) or else the environment's value; true
    // with an empty token when neither gives one. On failure false with a message.
    static bool readAdminToken(const QString &path, const QString &environment, QByteArray *token,
                               QString *error);
};
