// votedesk-httpbench: an HttpServer with POST /v1/votes answered 202, either at once
// (--mode immediate) or through a second thread that answers batches with sendReplies(),
// the way the journal writer does after a group commit (--mode deferred). Nothing else
// runs in the process, so its CPU time per request is the HTTP layer's.
//
//   votedesk-httpbench [--port N] [--io-threads N] [--mode immediate|deferred]
//                      [--replier normal|batch]
//
// --replier (deferred mode) sets how the answering thread is scheduled. normal: it wakes
// for the first ticket of a batch and, on the same core, preempts the I/O thread at once, so
// batches stay tiny and every request costs two context switches. batch: SCHED_BATCH, which
// the kernel never lets preempt on wake-up, so it runs when the I/O thread waits and finds
// the tickets of a whole loop iteration, as a journal writer does behind its fsync.
//
// Prints "listening on 127.0.0.1:PORT" once it serves; stops on SIGINT or SIGTERM.

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <pthread.h>
#include <sched.h>
#include <thread>
#include <vector>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostAddress>

#include "http/httpserver.h"

using namespace Qt::Literals::StringLiterals;

namespace {

Http::HttpResponse accepted()
{
    // The same body nginx answers in bench/nginx.conf.in; a literal, so no allocation.
    return Http::HttpResponse::json(202,
                                    QByteArrayLiteral("{\"status\":\"accepted\",\"receipt\":\"1-1234567\"}"));
}

// Stands in for the journal writer: handlers hand it their tickets, it answers whatever has
// gathered since its last round in one sendReplies() call.
// Crossing: I/O threads -> replier thread through m_tickets under m_mutex; the replier takes
// the whole vector at once, so an I/O thread holds the lock only for a push_back.
class Replier final
{
public:
    explicit Replier(bool batchScheduling)
        : m_batchScheduling(batchScheduling)
        , m_thread([this] { run(); })
    {}
    ~Replier() { stop(); }

    // Afterwards no reply is sent any more; tickets pushed by handlers still running on the
    // I/O threads are dropped. The object itself must outlive the server (handlers use it).
    void stop()
    {
        {
            const std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_one();
        if (m_thread.joinable())
            m_thread.join();
    }

    void push(const Http::ReplyTicket &ticket)
    {
        bool wasEmpty = false;
        {
            const std::lock_guard lock(m_mutex);
            if (m_stop)
                return;
            wasEmpty = m_tickets.empty();
            m_tickets.push_back(ticket);
        }
        if (wasEmpty)
            m_wake.notify_one();
    }

private:
    void run()
    {
        pthread_setname_np(pthread_self(), "replier");
        if (m_batchScheduling) {
            const sched_param param{};
            pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
        }
        std::vector<Http::ReplyTicket> batch;
        for (;;) {
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [this] { return m_stop || !m_tickets.empty(); });
                if (m_stop)
                    return;
                batch.swap(m_tickets);
            }
            std::vector<Http::PendingReply> replies;
            replies.reserve(batch.size());
            for (const Http::ReplyTicket &ticket : batch)
                replies.emplace_back(ticket, accepted());
            batch.clear();
            Http::sendReplies(std::move(replies));
        }
    }

    const bool m_batchScheduling;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<Http::ReplyTicket> m_tickets;
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace

int main(int argc, char *argv[])
{
    // Blocked before any thread starts, so every thread inherits the mask and only the
    // sigwait() below receives them.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"HTTP layer benchmark server: POST /v1/votes answered 202"_s);
    parser.addHelpOption();
    const QCommandLineOption portOption(u"port"_s, u"TCP port on 127.0.0.1 (0 picks one)"_s, u"N"_s, u"0"_s);
    const QCommandLineOption threadsOption(u"io-threads"_s, u"I/O threads"_s, u"N"_s, u"1"_s);
    const QCommandLineOption modeOption(u"mode"_s, u"immediate or deferred"_s, u"MODE"_s, u"immediate"_s);
    const QCommandLineOption replierOption(
        u"replier"_s, u"deferred: replier thread scheduling, normal or batch"_s, u"POLICY"_s, u"normal"_s);
    parser.addOptions({portOption, threadsOption, modeOption, replierOption});
    parser.process(app);

    bool portOk = false;
    const uint port = parser.value(portOption).toUInt(&portOk);
    bool threadsOk = false;
    const int ioThreads = parser.value(threadsOption).toInt(&threadsOk);
    const QString mode = parser.value(modeOption);
    const QString replierPolicy = parser.value(replierOption);
    if (!portOk || port > 65535 || !threadsOk || ioThreads < 1 ||
        (mode != u"immediate"_s && mode != u"deferred"_s) ||
        (replierPolicy != u"normal"_s && replierPolicy != u"batch"_s)) {
        std::fprintf(stderr, "votedesk-httpbench: bad arguments (see --help)\n");
        return 2;
    }

    std::unique_ptr<Replier> replier;
    Http::Router router;
    if (mode == u"deferred"_s) {
        replier = std::make_unique<Replier>(replierPolicy == u"batch"_s);
        router.add(Http::Method::Post, "/v1/votes",
                   [r = replier.get()](const Http::HttpRequest &, const Http::RequestContext &ctx) {
                       r->push(ctx.ticket);
                       return std::optional<Http::HttpResponse>();
                   });
    } else {
        router.add(Http::Method::Post, "/v1/votes",
                   [](const Http::HttpRequest &, const Http::RequestContext &) {
                       return std::optional<Http::HttpResponse>(accepted());
                   });
    }

    Http::HttpServer::Options options;
    options.ioThreads = ioThreads;
    Http::HttpServer server(std::move(router), options);
    QString error;
    if (!server.listen(QHostAddress::LocalHost, quint16(port), &error)) {
        std::fprintf(stderr, "votedesk-httpbench: %s\n", qPrintable(error));
        return 1;
    }
    std::printf("listening on 127.0.0.1:%u\n", server.serverPort());
    std::fflush(stdout);

    int signal = 0;
    sigwait(&stopSignals, &signal);

    // The producer stops sending first (tickets it holds are dropped), then the server
    // closes; the replier object lives on until after close() because handlers still call it.
    if (replier)
        replier->stop();
    server.close();
    const Http::HttpServerCounters &c = server.counters();
    std::printf("requests %lld connections %lld refused %lld protocol-errors %lld\n", c.requests.load(),
                c.connectionsAccepted.load(), c.connectionsRefused.load(), c.protocolErrors.load());
    return 0;
}
