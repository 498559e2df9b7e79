#pragma once

#include <array>

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include "loadshape.h"
#include "votegenerator.h"

// Everything votedesk-loadgen was asked to do, validated.
struct LoadgenOptions
{
    QUrl url;
    QString host;
    quint16 port = 80;

    LoadShape shape;
    qint64 durationMs = 0;
    int connections = 64;
    int pipeline = 16;

    qint64 voters = 0; // 0 = a new voter for every vote
    double repeatRatio = 0;
    std::array<double, kVoteKindCount> invalidRatio{};
    QStringList optionKeys; // empty = the session's options, equal weights
    QList<double> optionWeights;
    quint64 seed = 0;
    bool seedGiven = false;
    QByteArray voterPrefix; // empty = made up per run

    int maxRetries = 3;
    qint64 retryAfterCapMs = 30'000;
    qint64 timeoutMs = 10'000;
    qint64 drainTimeoutMs = 30'000;

    bool verify = false;
    QString verifyRecord; // verify an earlier run from its record; sends nothing
    QString record;
    QString report;
    QString chart;

    bool newSession = false;
    QString policy = QStringLiteral("last_wins"); // as the server spells it: "capped:20"
    int optionCap = 0;
    qint64 windowMs = 0; // 0 = the run's duration plus ten minutes
    bool openWindow = false;
    bool quiet = false;

    // The server's admin token (--admin-token-file, else VOTEDESK_ADMIN_TOKEN), sent with
    // every admin API call; empty: none (enough on the server's own machine, loopback).
    QByteArray adminToken;
    QString adminTokenSource; // where it came from, for messages; never the token
};

enum class CommandLineResult
{
    Run,
    Help,
    Version,
    Error
};

CommandLineResult parseLoadgenCommandLine(const QStringList &arguments, LoadgenOptions *options,
                                          QString *error);
QString loadgenHelpText();
