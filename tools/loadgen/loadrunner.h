#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include <queue>

#include "adminclient.h"
#include "loadshape.h"
#include "runreport.h"
#include "voteledger.h"

struct http_parser;
struct http_parser_settings;

// The sender: one thread, one epoll loop, N non-blocking keep-alive connections, each with
// up to `pipeline` requests in flight. Votes leave on a token schedule checked every
// millisecond (LoadShape::dueBy), so the count sent follows the shape exactly and only the
// timing depends on the machine. Answers are read with libhttp-parser (HTTP_RESPONSE) and
// matched to their votes in order (HTTP/1.1 answers pipelined requests in order).
//
// Why epoll and not Qt's event loop: at thousands of connections Qt's default (glib)
// dispatcher costs about twice as much per event (DESIGN.md §6) and QTcpSocket copies every
// byte through its own buffers; a load generator must be cheaper than the server it tests,
// from one core. The loop is small and owns nothing but its sockets.
//
// 503 and 429 are retried after their Retry-After (capped), up to maxRetries times. A vote
// whose connection breaks before its answer is never resent: it may or may not have been
// stored, and the verifier accounts for it as in flight.
class LoadRunner final
{
public:
    struct Config
    {
        ServerAddress address;
        QByteArray path = "/v1/votes";
        int connections = 64;
        int pipeline = 16;
        qint64 durationMs = 10'000;
        int maxRetries = 3;
        qint64 retryAfterCapMs = 30'000;
        qint64 timeoutMs = 10'000;
        qint64 drainTimeoutMs = 30'000;
        // This run's own stop request (the console's rehearsal), besides requestStop(): the
        // schedule ends where it is and the run drains. Must outlive run().
        const std::atomic<bool> *stop = nullptr;
        // For a session with voter tokens: the X-Voter-Token value for a voter id (what the
        // show's app would send), added to every vote, malformed ones too, so each is refused
        // for the fault it was made with rather than for the missing token. Empty: unsigned.
        // Called on the sender's thread.
        std::function<QByteArray(QByteArrayView voter)> voterToken;
    };

    LoadRunner(Config config, LoadShape shape, VoteGenerator &generator);
    ~LoadRunner();
    LoadRunner(const LoadRunner &) = delete;
    LoadRunner &operator=(const LoadRunner &) = delete;

    // Called once a second with that second's figures (the progress line).
    void setProgressHandler(std::function<void(const SecondStats &)> handler)
    {
        m_onSecond = std::move(handler);
    }

    // Runs the whole schedule, then waits for the answers (at most drainTimeoutMs). Every
    // vote sent is appended to `ledger` with its last answer.
    RunSummary run(std::vector<SentVote> &ledger);

    // Async-signal-safe: the schedule stops where it is and the run drains (SIGINT).
    static void requestStop();

private:
    struct Connection;
    struct InFlight
    {
        std::uint32_t ledgerIndex;
        qint64 sentNs;
    };
    struct Retry
    {
        qint64 dueNs;
        std::uint32_t ledgerIndex;
        bool operator>(const Retry &other) const { return dueNs > other.dueNs; }
    };

    static const http_parser_settings &settings();
    static int onMessageBegin(http_parser *parser);
    static int onHeaderField(http_parser *parser, const char *at, size_t length);
    static int onHeaderValue(http_parser *parser, const char *at, size_t length);
    static int onBody(http_parser *parser, const char *at, size_t length);
    static int onMessageComplete(http_parser *parser);

    void openConnection(Connection &c, qint64 nowNs);
    void failConnection(Connection &c, qint64 nowNs, bool timedOut);
    void onWritable(Connection &c, qint64 nowNs);
    void onReadable(Connection &c, qint64 nowNs);
    void flush(Connection &c, qint64 nowNs);
    void answer(Connection &c, qint64 nowNs);
    void send(Connection &c, std::uint32_t ledgerIndex, qint64 nowNs);
    void updateEvents(Connection &c, bool wantWrite);
    Connection *connectionWithRoom();
    void tick(qint64 second, bool final);
    qint64 retryAfterNs(const QByteArray &value) const;

    Config m_config;
    LoadShape m_shape;
    VoteGenerator &m_generator;
    std::vector<SentVote> *m_ledger = nullptr;
    std::function<void(const SecondStats &)> m_onSecond;

    int m_epoll = -1;
    std::vector<std::unique_ptr<Connection>> m_connections;
    std::size_t m_roundRobin = 0;
    std::priority_queue<Retry, std::vector<Retry>, std::greater<>> m_retries;
    QByteArray m_requestHead; // "POST /v1/votes HTTP/1.1\r\nHost: ...\r\nContent-Type: "
    QByteArray m_body;        // scratch
    qint64 m_startNs = 0;
    qint64 m_lastSendNs = 0;
    qint64 m_clockNs = 0; // "now" for the parser callbacks
    qint64 m_inFlight = 0;
    qint64 m_freeSlots = 0; // free pipeline slots over the open connections
    qint64 m_closed = 0;    // connections without a socket (waiting to reconnect)
    qint64 m_issued = 0;
    bool m_scheduleOver = false;

    LatencyHistogram m_latency;
    LatencyHistogram::Snapshot m_lastSnapshot;
    SecondStats m_window; // the second being counted
    qint64 m_lastTickDue = 0;
    RunSummary m_summary;
};
