#include "loadrunner.h"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <QDateTime>

using namespace Qt::Literals::StringLiterals;

namespace {
std::atomic<bool> g_stopRequested{false};

qint64 monotonicNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

constexpr qint64 kMsNs = 1'000'000;
constexpr qint64 kBodyKeep = 512; // of an answer's body: enough for a receipt or an error code

bool equalsLower(const QByteArray &text, QByteArrayView lower)
{
    if (text.size() != lower.size())
        return false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
        if (c != lower[i])
            return false;
    }
    return true;
}

// "receipt":"<session>-<seq>" from a 202 body, without a JSON parser on the hot path.
bool parseReceipt(const QByteArray &body, qint64 *session, qint64 *seq)
{
    static constexpr QByteArrayView key = "\"receipt\":\"";
    const qsizetype at = body.indexOf(key);
    if (at < 0)
        return false;
    qsizetype i = at + key.size();
    qint64 values[2] = {0, 0};
    for (int part = 0; part < 2; ++part) {
        const qsizetype start = i;
        while (i < body.size() && body[i] >= '0' && body[i] <= '9' && i - start < 18)
            values[part] = values[part] * 10 + (body[i++] - '0');
        if (i == start || i >= body.size() || body[i] != (part == 0 ? '-' : '"'))
            return false;
        ++i;
    }
    *session = values[0];
    *seq = values[1];
    return *seq > 0;
}

QByteArray errorCodeOf(const QByteArray &body)
{
    static constexpr QByteArrayView key = "\"error\":\"";
    const qsizetype at = body.indexOf(key);
    if (at < 0)
        return {};
    const qsizetype end = body.indexOf('"', at + key.size());
    return end < 0 ? QByteArray() : body.mid(at + key.size(), std::min<qsizetype>(end - at - key.size(), 40));
}
} // namespace

struct LoadRunner::Connection
{
    LoadRunner *runner = nullptr;
    int fd = -1;
    bool connecting = false;
    bool open = false;
    bool writeArmed = false;
    int failures = 0; // consecutive failed connects: the reconnect backoff
    qint64 reconnectAtNs = 0;
    QByteArray out;
    qsizetype outOffset = 0;
    std::vector<InFlight> ring; // capacity = pipeline
    std::size_t head = 0;
    std::size_t count = 0;
    http_parser parser{};
    // The answer being parsed.
    QByteArray field;
    bool inValue = false;
    bool fieldIsRetryAfter = false;
    QByteArray retryAfter;
    QByteArray body;
    bool closeAfterAnswer = false;
};

void LoadRunner::requestStop()
{
    g_stopRequested.store(true, std::memory_order_relaxed);
}

LoadRunner::LoadRunner(Config config, LoadShape shape, VoteGenerator &generator)
    : m_config(std::move(config))
    , m_shape(std::move(shape))
    , m_generator(generator)
{
    m_requestHead =
        "POST " + m_config.path + " HTTP/1.1\r\nHost: " + m_config.address.hostHeader + "\r\nContent-Type: ";
}

LoadRunner::~LoadRunner()
{
    for (auto &c : m_connections) {
        if (c->fd >= 0)
            ::close(c->fd);
    }
    if (m_epoll >= 0)
        ::close(m_epoll);
}

int LoadRunner::onMessageBegin(http_parser *parser)
{
    auto *c = static_cast<Connection *>(parser->data);
    // resize(0) keeps the capacity (clear() would free it): one allocation per connection,
    // not one per answer.
    c->field.resize(0);
    c->inValue = false;
    c->fieldIsRetryAfter = false;
    c->retryAfter.resize(0);
    c->body.resize(0);
    return 0;
}

int LoadRunner::onHeaderField(http_parser *parser, const char *at, size_t length)
{
    auto *c = static_cast<Connection *>(parser->data);
    if (c->inValue) {
        c->field.resize(0);
        c->inValue = false;
    }
    if (c->field.size() < 64)
        c->field.append(at, qsizetype(length));
    return 0;
}

int LoadRunner::onHeaderValue(http_parser *parser, const char *at, size_t length)
{
    auto *c = static_cast<Connection *>(parser->data);
    if (!c->inValue) {
        c->inValue = true;
        c->fieldIsRetryAfter = equalsLower(c->field, "retry-after");
    }
    if (c->fieldIsRetryAfter && c->retryAfter.size() < 64)
        c->retryAfter.append(at, qsizetype(length));
    return 0;
}

int LoadRunner::onBody(http_parser *parser, const char *at, size_t length)
{
    auto *c = static_cast<Connection *>(parser->data);
    if (c->body.size() < kBodyKeep)
        c->body.append(at, qsizetype(std::min<size_t>(length, size_t(kBodyKeep - c->body.size()))));
    return 0;
}

int LoadRunner::onMessageComplete(http_parser *parser)
{
    auto *c = static_cast<Connection *>(parser->data);
    if (!http_should_keep_alive(parser))
        c->closeAfterAnswer = true;
    c->runner->answer(*c, c->runner->m_clockNs);
    // Nothing after a closing answer is for us: stop so the read loop closes the connection.
    if (c->closeAfterAnswer)
        http_parser_pause(parser, 1);
    return 0;
}

qint64 LoadRunner::retryAfterNs(const QByteArray &value) const
{
    const QByteArray text = value.trimmed();
    qint64 ms = 1000; // no usable Retry-After: a second, as votedesk sends
    bool ok = false;
    const qint64 seconds = text.toLongLong(&ok);
    if (ok && seconds >= 0) {
        ms = seconds * 1000;
    } else if (!text.isEmpty()) {
        const QDateTime at = QDateTime::fromString(QString::fromLatin1(text), Qt::RFC2822Date);
        if (at.isValid())
            ms = std::max<qint64>(0, QDateTime::currentDateTimeUtc().msecsTo(at));
    }
    return std::min(ms, m_config.retryAfterCapMs) * kMsNs;
}

void LoadRunner::updateEvents(Connection &c, bool wantWrite)
{
    if (c.writeArmed == wantWrite)
        return;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (wantWrite ? std::uint32_t(EPOLLOUT) : 0u);
    event.data.ptr = &c;
    ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &event);
    c.writeArmed = wantWrite;
}

void LoadRunner::openConnection(Connection &c, qint64 nowNs)
{
    c.fd = ::socket(m_config.address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        ++m_window.connectionErrors;
        c.reconnectAtNs = nowNs + 1000 * kMsNs;
        return;
    }
    const int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    http_parser_init(&c.parser, HTTP_RESPONSE);
    c.parser.data = &c;
    c.out.resize(0);
    c.outOffset = 0;
    c.head = 0;
    c.count = 0;
    c.closeAfterAnswer = false;
    --m_closed;
    const int rc = ::connect(c.fd, reinterpret_cast<const sockaddr *>(&m_config.address.storage),
                             m_config.address.length);
    c.connecting = rc != 0;
    c.open = rc == 0;
    if (c.open)
        m_freeSlots += qint64(c.ring.size());
    if (rc != 0 && errno != EINPROGRESS) {
        ::close(c.fd);
        c.fd = -1;
        ++m_closed;
        c.connecting = false;
        ++m_window.connectionErrors;
        ++m_summary.connectionErrors;
        c.reconnectAtNs = nowNs + std::min<qint64>(1000, 50LL << std::min(c.failures++, 5)) * kMsNs;
        return;
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
    event.data.ptr = &c;
    ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.fd, &event);
    c.writeArmed = true;
}

void LoadRunner::failConnection(Connection &c, qint64 nowNs, bool timedOut)
{
    if (c.fd >= 0) {
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        ++m_closed;
    }
    if (c.open)
        m_freeSlots -= qint64(c.ring.size() - c.count);
    const bool wasConnecting = c.connecting;
    c.fd = -1;
    c.open = false;
    c.connecting = false;
    c.writeArmed = false;
    // Requests in flight may or may not have reached the store: they stay unanswered.
    for (std::size_t i = 0; i < c.count; ++i) {
        const InFlight &f = c.ring[(c.head + i) % c.ring.size()];
        (*m_ledger)[f.ledgerIndex].status = 0;
        ++m_window.unanswered;
        if (timedOut)
            ++m_summary.timeouts;
    }
    m_inFlight -= qint64(c.count);
    c.count = 0;
    c.head = 0;
    c.out.resize(0);
    c.outOffset = 0;
    if (wasConnecting || !timedOut) {
        ++m_window.connectionErrors;
        ++m_summary.connectionErrors;
    }
    if (wasConnecting)
        ++c.failures;
    else
        c.failures = 0;
    c.reconnectAtNs = nowNs + std::min<qint64>(1000, 50LL << std::min(c.failures, 5)) * kMsNs;
}

void LoadRunner::onWritable(Connection &c, qint64 nowNs)
{
    if (c.connecting) {
        int soError = 0;
        socklen_t len = sizeof(soError);
        ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &soError, &len);
        if (soError != 0) {
            failConnection(c, nowNs, false);
            return;
        }
        c.connecting = false;
        c.open = true;
        c.failures = 0;
        m_freeSlots += qint64(c.ring.size());
    }
    flush(c, nowNs);
}

void LoadRunner::flush(Connection &c, qint64 nowNs)
{
    while (c.outOffset < c.out.size()) {
        const ssize_t n = ::send(c.fd, c.out.constData() + c.outOffset, size_t(c.out.size() - c.outOffset),
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c.outOffset += n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            updateEvents(c, true);
            return;
        }
        if (n < 0 && errno == EINTR)
            continue;
        failConnection(c, nowNs, false);
        return;
    }
    c.out.resize(0); // keeps the capacity
    c.outOffset = 0;
    updateEvents(c, false);
}

void LoadRunner::onReadable(Connection &c, qint64 nowNs)
{
    char buffer[65536];
    for (int round = 0; round < 8 && c.fd >= 0; ++round) {
        const ssize_t n = ::recv(c.fd, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            failConnection(c, nowNs, false);
            return;
        }
        if (n == 0) {
            failConnection(c, nowNs, false); // the server closed: what is in flight is unanswered
            return;
        }
        m_clockNs = nowNs;
        const size_t parsed = http_parser_execute(&c.parser, &settings(), buffer, size_t(n));
        if (c.closeAfterAnswer) {
            // Requests behind a closing answer were not served; they stay unanswered.
            failConnection(c, nowNs, false);
            return;
        }
        if (HTTP_PARSER_ERRNO(&c.parser) != HPE_OK || parsed != size_t(n)) {
            failConnection(c, nowNs, false);
            return;
        }
        if (n < qint64(sizeof(buffer)))
            return;
    }
}

const http_parser_settings &LoadRunner::settings()
{
    static const http_parser_settings s = [] {
        http_parser_settings value{};
        value.on_message_begin = onMessageBegin;
        value.on_header_field = onHeaderField;
        value.on_header_value = onHeaderValue;
        value.on_body = onBody;
        value.on_message_complete = onMessageComplete;
        return value;
    }();
    return s;
}

void LoadRunner::answer(Connection &c, qint64 nowNs)
{
    if (c.count == 0) {
        c.closeAfterAnswer = true; // an answer to nothing: the stream is out of step, drop it
        return;
    }
    const InFlight f = c.ring[c.head];
    c.head = (c.head + 1) % c.ring.size();
    --c.count;
    --m_inFlight;
    ++m_freeSlots;
    m_latency.record((nowNs - f.sentNs) / 1000);

    SentVote &sent = (*m_ledger)[f.ledgerIndex];
    const int status = int(c.parser.status_code);
    sent.status = std::int16_t(status);
    if (status >= 200 && status < 300) {
        ++m_window.ok;
        if (!parseReceipt(c.body, &sent.receiptSession, &sent.seq)) {
            sent.flags |= SentVote::kReceiptUnreadable;
            sent.seq = 0;
        }
    } else if (status >= 500) {
        ++m_window.server5xx;
    } else {
        ++m_window.client4xx;
    }
    const bool retryable = status == 503 || status == 429;
    if (retryable && sent.attempts <= m_config.maxRetries) {
        m_retries.push({nowNs + retryAfterNs(c.retryAfter), f.ledgerIndex});
        return;
    }
    // Final answer: is it the one this kind of vote calls for?
    const QByteArray code = status >= 400 ? errorCodeOf(c.body) : QByteArray();
    const VoteKind kind = sent.vote.kind;
    if (!retryable && (status != expectedStatus(kind) || code != expectedErrorCode(kind)))
        ++m_summary.unexpectedAnswers;
    QString key = voteKindName(kind) + u' ' + QString::number(status);
    if (!code.isEmpty())
        key += u' ' + QString::fromLatin1(code);
    ++m_summary.byKindAndAnswer[key];
}

void LoadRunner::send(Connection &c, std::uint32_t ledgerIndex, qint64 nowNs)
{
    SentVote &sent = (*m_ledger)[ledgerIndex];
    m_body.resize(0);
    m_generator.body(sent.vote, m_body);
    c.out += m_requestHead;
    c.out += m_generator.contentType(sent.vote);
    if (m_config.voterToken) {
        c.out += "\r\nX-Voter-Token: ";
        c.out += m_config.voterToken(m_generator.voterId(sent.vote));
    }
    c.out += "\r\nContent-Length: ";
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof(digits), m_body.size()).ptr;
    c.out.append(digits, end - digits);
    c.out += "\r\n\r\n";
    c.out += m_body;
    c.ring[(c.head + c.count) % c.ring.size()] = {ledgerIndex, nowNs};
    ++c.count;
    ++m_inFlight;
    --m_freeSlots;
    if (sent.attempts < 255)
        ++sent.attempts;
    ++m_summary.requests;
    m_lastSendNs = nowNs;
}

LoadRunner::Connection *LoadRunner::connectionWithRoom()
{
    if (m_freeSlots <= 0)
        return nullptr; // every open connection's pipeline is full: no scan
    const std::size_t n = m_connections.size();
    for (std::size_t i = 0; i < n; ++i) {
        Connection &c = *m_connections[(m_roundRobin + i) % n];
        if (c.open && c.count < c.ring.size()) {
            m_roundRobin = (m_roundRobin + i + 1) % n;
            return &c;
        }
    }
    return nullptr;
}

void LoadRunner::tick(qint64 second, bool final)
{
    const LatencyHistogram::Snapshot now = m_latency.snapshot();
    const LatencyHistogram::Snapshot interval = now - m_lastSnapshot;
    m_lastSnapshot = now;
    const qint64 due =
        m_shape.isUnlimited() ? m_issued : m_shape.dueBy(std::min(second * 1000, m_config.durationMs));
    m_window.second = second;
    m_window.target = m_shape.isUnlimited() ? -1 : due - m_lastTickDue;
    m_lastTickDue = due;
    m_window.inFlight = m_inFlight;
    m_window.backlog = m_scheduleOver && final ? 0 : std::max<qint64>(0, due - m_issued);
    m_window.p50Micros = interval.percentile(50);
    m_window.p99Micros = interval.percentile(99);
    m_window.maxMicros = interval.count() > 0 ? interval.max() : 0;
    if (final && !m_summary.seconds.empty() && m_window.sent == 0 && m_window.retries == 0 &&
        m_window.target <= 0) {
        // The last answers of a run trickle in just after its last full second: they
        // belong to it, and a near-empty extra second would draw a cliff in the chart.
        SecondStats &last = m_summary.seconds.back();
        last.ok += m_window.ok;
        last.client4xx += m_window.client4xx;
        last.server5xx += m_window.server5xx;
        last.unanswered += m_window.unanswered;
        last.connectionErrors += m_window.connectionErrors;
        last.inFlight = m_inFlight;
    } else {
        m_summary.seconds.push_back(m_window);
        if (m_onSecond)
            m_onSecond(m_window);
    }
    m_summary.retries += m_window.retries;
    m_summary.ok += m_window.ok;
    m_summary.client4xx += m_window.client4xx;
    m_summary.server5xx += m_window.server5xx;
    m_summary.unanswered += m_window.unanswered;
    m_window = SecondStats();
}

RunSummary LoadRunner::run(std::vector<SentVote> &ledger)
{
    g_stopRequested.store(false, std::memory_order_relaxed);
    m_ledger = &ledger;
    m_summary = RunSummary();
    m_summary.url = QString::fromLatin1("http://" + m_config.address.hostHeader);
    m_summary.shape = m_shape.describe();
    m_summary.plannedDurationMs = m_config.durationMs;
    m_summary.connections = m_config.connections;
    m_summary.pipeline = m_config.pipeline;
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);

    m_startNs = monotonicNs();
    m_lastSendNs = m_startNs;
    m_closed = m_config.connections;
    for (int i = 0; i < m_config.connections; ++i) {
        auto c = std::make_unique<Connection>();
        c->runner = this;
        c->ring.resize(std::size_t(m_config.pipeline));
        openConnection(*c, m_startNs);
        m_connections.push_back(std::move(c));
    }

    qint64 durationMs = m_config.durationMs;
    qint64 total = m_shape.dueBy(durationMs);
    qint64 nextSecond = 1;
    qint64 nextTimeoutCheckNs = m_startNs + 100 * kMsNs;
    std::vector<Connection *> dirty;
    dirty.reserve(m_connections.size());
    epoll_event events[256];
    bool serverGone = false;
    bool drainTimedOut = false;

    for (;;) {
        const qint64 nowNs = monotonicNs();
        const qint64 elapsedMs = (nowNs - m_startNs) / kMsNs;
        const bool stopRequested = g_stopRequested.load(std::memory_order_relaxed) ||
                                   (m_config.stop && m_config.stop->load(std::memory_order_relaxed));
        if (stopRequested && !m_scheduleOver) {
            // Ctrl+C: the schedule ends here; what is in flight is still answered.
            durationMs = std::min(durationMs, elapsedMs);
            total = m_shape.dueBy(durationMs);
        }
        if (!m_scheduleOver && elapsedMs >= durationMs && m_shape.isUnlimited())
            total = m_issued; // as fast as possible: what was sent by the end is the plan
        m_scheduleOver = elapsedMs >= durationMs;
        const qint64 due = m_scheduleOver ? total : m_shape.dueBy(elapsedMs);

        // Dispatch: retries whose time has come first, then new votes the schedule made due.
        for (;;) {
            const bool retryReady = !m_retries.empty() && m_retries.top().dueNs <= nowNs;
            if (!retryReady && m_issued >= due)
                break;
            Connection *c = connectionWithRoom();
            if (!c)
                break;
            if (c->out.isEmpty())
                dirty.push_back(c);
            if (retryReady) {
                const std::uint32_t index = m_retries.top().ledgerIndex;
                m_retries.pop();
                ++m_window.retries;
                send(*c, index, nowNs);
            } else {
                SentVote sent;
                sent.vote = m_generator.next();
                ledger.push_back(sent);
                ++m_issued;
                ++m_window.sent;
                send(*c, std::uint32_t(ledger.size() - 1), nowNs);
            }
        }
        for (Connection *c : dirty) {
            if (c->fd >= 0)
                flush(*c, nowNs);
        }
        dirty.clear();

        // Connections that broke come back, with a backoff; once the schedule is over only
        // while something is left to send, and not once the server is evidently gone.
        // Only when some connection is down: with a thousand connections a scan per loop
        // would cost more than the requests.
        const bool somethingToSend = m_issued < total || !m_retries.empty();
        if (m_closed > 0 && (!m_scheduleOver || (somethingToSend && !serverGone))) {
            for (auto &c : m_connections) {
                if (c->fd < 0 && nowNs >= c->reconnectAtNs)
                    openConnection(*c, nowNs);
            }
        }
        const bool anyUp = m_closed < qint64(m_connections.size()); // open or connecting
        const bool anyOpen = m_freeSlots + m_inFlight > 0;          // slots exist only on open ones
        if (m_scheduleOver && !anyUp && somethingToSend) {
            // Nothing is connected and every attempt since the end failed: stop trying.
            serverGone = true;
        }

        if (nowNs >= nextTimeoutCheckNs) {
            nextTimeoutCheckNs = nowNs + 100 * kMsNs;
            const qint64 limitNs = m_config.timeoutMs * kMsNs;
            for (auto &c : m_connections) {
                if (c->count > 0 && nowNs - c->ring[c->head].sentNs > limitNs)
                    failConnection(*c, nowNs, true);
            }
        }

        while (elapsedMs >= nextSecond * 1000)
            tick(nextSecond++, false);

        const bool drained = m_inFlight == 0 && (m_retries.empty() || serverGone);
        if (m_scheduleOver && drained && (m_issued >= total || serverGone))
            break;
        if (m_scheduleOver && elapsedMs >= durationMs + m_config.drainTimeoutMs) {
            drainTimedOut = true;
            break;
        }

        // Sleep until the next token is due (1 ms granularity), a retry, a tick, or an event.
        qint64 waitMs = 100;
        if (!m_scheduleOver || (m_issued < total && anyOpen))
            waitMs = 1;
        if (!m_retries.empty())
            waitMs = std::min(waitMs, std::max<qint64>(0, (m_retries.top().dueNs - nowNs) / kMsNs));
        waitMs = std::min(waitMs, std::max<qint64>(0, nextSecond * 1000 - elapsedMs));
        const int n = ::epoll_wait(m_epoll, events, 256, int(waitMs));
        const qint64 eventNs = n > 0 ? monotonicNs() : nowNs;
        for (int i = 0; i < n; ++i) {
            auto *c = static_cast<Connection *>(events[i].data.ptr);
            if (c->fd < 0)
                continue;
            if (events[i].events & (EPOLLOUT | EPOLLERR))
                onWritable(*c, eventNs);
            if (c->fd >= 0 && (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
                onReadable(*c, eventNs);
        }
    }

    const qint64 endNs = monotonicNs();
    // Whatever is still out there when the drain time is up stays unanswered.
    for (auto &c : m_connections) {
        if (c->fd >= 0 && (c->count > 0 || drainTimedOut))
            failConnection(*c, endNs, true);
        else if (c->fd >= 0) {
            ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, c->fd, nullptr);
            ::close(c->fd);
            c->fd = -1;
        }
    }
    m_summary.elapsedMs = (endNs - m_startNs) / kMsNs;
    m_summary.sendingMs = std::max<qint64>(1, (m_lastSendNs - m_startNs) / kMsNs);
    tick(nextSecond, true);

    m_summary.planned = total;
    m_summary.sent = m_issued;
    m_summary.notSent = std::max<qint64>(0, total - m_issued);
    for (const SentVote &sent : ledger) {
        ++m_summary.byStatus[sent.status];
        if (sent.status == 503 || sent.status == 429)
            ++m_summary.retriesGivenUp;
    }
    m_summary.latency = m_latency.snapshot();
    return m_summary;
}
