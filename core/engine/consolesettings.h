#pragma once

#include <QString>

#include "engine/engine.h"

class QSettings;

// What the operator sets once per installation (QSettings), and the command line overrides
// for one run: where to listen, how to ingest, where the feeds go, how large the console is.
// Network and ingest settings take effect at the next start; the rest at once.
struct ConsoleSettings
{
    QString bindAddress = QStringLiteral("127.0.0.1");
    int port = 8080;
    int ioThreads = 0; // 0 = one per core
    QString durability = QStringLiteral("full");
    qint64 queueCapacity = 100'000;
    qint64 batchSize = 4096;
    int batchWindowMs = 0;
    QString exportFolder; // empty = "export" next to the database (the user's data folder)
    int exportIntervalSeconds = 1;
    bool csvByteOrderMark = false;   // UTF-8 BOM on the CSV feeds, for Excel
    bool pseudonymiseVoters = false; // results pack: HMAC-SHA-256 voter ids
    QString casparCgHost;            // empty = no CasparCG push
    int casparCgPort = 5250;
    QString casparCgChannelLayer = QStringLiteral("1-20");
    int casparCgTemplateLayer = 1;
    QString casparCgTemplate; // empty: UPDATE only; else CG ADD (not played) on first connect
    double themeScale = 1.0;  // console type size, for big screens and far viewers
    bool audiencePage = true; // serve the built-in voting page (off when the show has its own app)
    // The admin token's file (the path, never the secret: the settings file is plain text);
    // empty = none. --admin-token-file and VOTEDESK_ADMIN_TOKEN win over it for a run.
    QString adminTokenFile;

    static ConsoleSettings load(const QSettings &settings);
    void save(QSettings &settings) const;
    // Empty when valid; else a message naming the setting and the allowed values. The admin
    // token file's path must be absolute; its content is checked by adminTokenFileProblem().
    QString validate() const;
    // Empty when no admin token file is set or it holds a usable token by the server's rules
    // (AdminToken::readFile); else the problem, naming the file. Apart from validate(): a
    // broken token file must not make the start throw away every other saved setting.
    QString adminTokenFileProblem() const;
    // The engine options these settings describe (database path and clock stay the caller's).
    void applyTo(Engine::Options *options) const;
    // The folder the feeds go to with the default database: exportFolder, else <data>/export.
    QString effectiveExportFolder() const;
    // The CasparCG push these settings describe (meaningful when casparCgHost is set).
    CasparCgClient::Settings casparCgSettings() const;

    bool operator==(const ConsoleSettings &) const = default;
};
