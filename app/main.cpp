#include <cstdio>
#include <memory>
#include <sys/resource.h>

#include <QApplication>
#include <QCoreApplication>
#include <QLoggingCategory>
#include <QMessageBox>
#include <QSettings>

#include "commandline.h"
#include "engine/engine.h"
#include "loopbackrehearsal.h"
#include "mainwindow.h"
#include "sessionsmenu.h"
#include "signalwatcher.h"
#include "theme.h"

using namespace Qt::Literals::StringLiterals;

namespace {
// Every client connection is a descriptor, and the default soft limit (1024) is far below
// what an audience brings (--max-connections defaults to 10000). The hard limit is ours to
// take; if it is low too, connections beyond it are refused by accept() and counted, and
// the server goes on.
void raiseOpenFileLimit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
            std::perror("votedesk: cannot raise the open file limit");
    }
}

int runEngine(QCoreApplication &app, const CommandLine &commandLine, bool withWindow)
{
    Engine engine(commandLine.engine);
    // Rehearsal mode's simulated audience (only a session created as a rehearsal takes it).
    engine.setRehearsalTraffic(std::make_unique<LoopbackRehearsal>());
    QString error;
    if (!engine.start(&error)) {
        std::fprintf(stderr, "votedesk: %s\n", qPrintable(error));
        if (withWindow)
            QMessageBox::critical(nullptr, u"votedesk cannot start"_s, error);
        return 1;
    }
    // Scripts and tests wait for this line; with --port 0 it is the only way to learn the port.
    std::printf("listening on %s:%u\n", qPrintable(commandLine.engine.bindAddress.toString()), engine.port());
    if (engine.tlsPort() != 0)
        std::printf("listening for https on %s:%u\n",
                    qPrintable(commandLine.engine.tls.bindAddress.toString()), engine.tlsPort());
    std::printf("database %s\n", qPrintable(engine.databasePath()));
    std::fflush(stdout);

    SignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &SignalWatcher::terminationRequested, &app,
                     [](int) { QCoreApplication::quit(); });
    QObject::connect(&engine, &Engine::storageError, &app, [](const QString &message) {
        std::fprintf(stderr, "votedesk: storage error: %s\n", qPrintable(message));
    });
    QObject::connect(&engine, &Engine::storageRecovered, &app,
                     [] { std::fprintf(stderr, "votedesk: the store takes writes again\n"); });
    QObject::connect(&engine, &Engine::canaryMissing, &app, [](const QString &message) {
        std::fprintf(stderr, "votedesk: alert: %s\n", qPrintable(message));
    });
    QObject::connect(&engine, &Engine::canaryRecovered, &app,
                     [] { std::fprintf(stderr, "votedesk: the canary vote is stored again\n"); });
    QObject::connect(&engine, &Engine::exportFailed, &app, [](const QString &message) {
        std::fprintf(stderr, "votedesk: feed files not written: %s\n", qPrintable(message));
    });
    QObject::connect(&engine, &Engine::exportRecovered, &app,
                     [] { std::fprintf(stderr, "votedesk: the feed files are written again\n"); });
    if (const ResultFeeds *feeds = engine.feeds(); feeds && !feeds->currentFolder().isEmpty())
        std::printf("export %s\n", qPrintable(feeds->currentFolder()));
    std::fflush(stdout);

    std::unique_ptr<MainWindow> window;
    if (withWindow) {
        window = std::make_unique<MainWindow>(engine);
        new SessionsMenu(engine, *window); // owned by the window
        QObject::connect(&engine, &Engine::storageError, window.get(), &MainWindow::showStorageAlert);
        QObject::connect(&engine, &Engine::storageRecovered, window.get(), &MainWindow::clearStorageAlert);
        QObject::connect(&engine, &Engine::exportFailed, window.get(), &MainWindow::showFeedAlert);
        QObject::connect(&engine, &Engine::exportRecovered, window.get(), &MainWindow::clearFeedAlert);
        // The same strip: a canary not stored is the operator's news whatever the cause.
        QObject::connect(&engine, &Engine::canaryMissing, window.get(), &MainWindow::showStorageAlert);
        QObject::connect(&engine, &Engine::canaryRecovered, window.get(), &MainWindow::clearStorageAlert);
        window->show();
    }
    const int code = app.exec();
    window.reset();
    engine.stop(); // commits what is queued before the process goes
    return code;
}

// The operator's saved settings (~/.config/votedesk/votedesk.ini): defaults for this run.
// Broken values are reported and replaced by the built-in defaults rather than stopping a show.
ConsoleSettings savedSettings()
{
    QSettings settings(QSettings::IniFormat, QSettings::UserScope, u"votedesk"_s, u"votedesk"_s);
    ConsoleSettings loaded = ConsoleSettings::load(settings);
    const QString problem = loaded.validate();
    if (problem.isEmpty())
        return loaded;
    std::fprintf(stderr, "votedesk: ignoring the saved settings in %s: %s\n", qPrintable(settings.fileName()),
                 qPrintable(problem));
    return ConsoleSettings();
}
} // namespace

int main(int argc, char *argv[])
{
    raiseOpenFileLimit();
    QCoreApplication::setApplicationName(u"votedesk"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(VOTEDESK_VERSION));

    if (CommandLine::wantsHeadless(argc, argv)) {
        QCoreApplication app(argc, argv);
        CommandLine::Outcome outcome;
        const CommandLine commandLine = CommandLine::parse(app.arguments(), savedSettings(), &outcome);
        if (outcome != CommandLine::Outcome::Run)
            return outcome == CommandLine::Outcome::ExitOk ? 0 : 2;
        return runEngine(app, commandLine, false);
    }

    // The type size (Settings, "Type size") scales the whole console, charts included, as Qt's
    // own scale factor: it must be set before the application exists. QT_SCALE_FACTOR given in
    // the environment wins, as it does for every Qt program.
    const ConsoleSettings saved = savedSettings();
    if (!qEnvironmentVariableIsSet("QT_SCALE_FACTOR") && saved.themeScale != 1.0)
        qputenv("QT_SCALE_FACTOR", QByteArray::number(saved.themeScale, 'g', 3));

    QApplication app(argc, argv);
    CommandLine::Outcome outcome;
    const CommandLine commandLine = CommandLine::parse(app.arguments(), saved, &outcome);
    if (outcome != CommandLine::Outcome::Run)
        return outcome == CommandLine::Outcome::ExitOk ? 0 : 2;
    applyConsoleTheme(app);
    return runEngine(app, commandLine, true);
}
