#include "export/casparcgclient.h"

#include <cctype>
#include <deque>
#include <optional>

#include <QDateTime>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTimer>

#include "export/textescape.h"

using namespace Qt::Literals::StringLiterals;

namespace {
QByteArray field(const QString &id, const QString &value)
{
    return "<componentData id=\"" + TextEscape::xml(id) + "\"><data id=\"text\" value=\"" +
           TextEscape::xml(value) + "\"/></componentData>";
}

// What identifies a publish: a new session starts its versions at 1 again.
struct PublishKey
{
    qint64 sessionId = 0;
    quint64 publishVersion = 0;
    bool final = false;
    bool rehearsal = false;

    bool operator==(const PublishKey &) const = default;

    static PublishKey of(const PublishedResults &results)
    {
        return {results.session.id, results.publishVersion, results.final, results.rehearsal};
    }
};
} // namespace

QString CasparCgClient::Settings::validate() const
{
    if (host.trimmed().isEmpty())
        return u"CasparCG: no host given"_s;
    if (port == 0)
        return u"CasparCG: no port given"_s;
    static const QRegularExpression channelLayerPattern(u"^[1-9][0-9]{0,3}(-[0-9]{1,5})?$"_s);
    if (!channelLayerPattern.match(channelLayer).hasMatch())
        return u"CasparCG: channel-layer \"%1\" is not like 1 or 1-20"_s.arg(channelLayer);
    if (templateLayer < 0)
        return u"CasparCG: the template layer must be 0 or more"_s;
    if (loadMode == LoadMode::AddOnFirstConnect && templateName.trimmed().isEmpty())
        return u"CasparCG: adding the template on connect needs a template name"_s;
    // A line break would end the AMCP command in the middle of the parameter.
    if (templateName.contains(u'\r') || templateName.contains(u'\n'))
        return u"CasparCG: the template name contains a line break"_s;
    if (reconnectMinMs <= 0 || reconnectMaxMs < reconnectMinMs || connectTimeoutMs <= 0)
        return u"CasparCG: reconnect and timeout intervals must be positive, minimum <= maximum"_s;
    return QString();
}

QString CasparCgClient::stateName(const State state)
{
    switch (state) {
    case State::Stopped:
        return u"stopped"_s;
    case State::Connecting:
        return u"connecting"_s;
    case State::Connected:
        return u"connected"_s;
    case State::WaitingToReconnect:
        return u"waiting to reconnect"_s;
    }
    return QString();
}

QByteArray CasparCgClient::templateData(const PublishedResults &results,
                                        const ResultDocuments::Options &options)
{
    const ResultTable table = ResultDocuments::table(results, options);
    QByteArray xml = QByteArrayLiteral("<templateData>");
    xml += field(u"question"_s, results.session.question);
    xml += field(u"total"_s, QString::number(table.total));
    xml += field(u"status"_s, ResultDocuments::statusText(results));
    // Session order, as results-wide.csv: a field keeps its id whatever the standings.
    for (const VoteOption &option : results.session.options) {
        const ResultRow *row = nullptr;
        for (const ResultRow &candidate : table.rows) {
            if (candidate.key == option.key) {
                row = &candidate;
                break;
            }
        }
        xml += field(option.key + u"_label"_s, row ? row->label : option.label);
        xml += field(option.key + u"_votes"_s, QString::number(row ? row->votes : 0));
        xml += field(option.key + u"_percent"_s, row ? row->percentText() : u"0.0"_s);
        xml += field(option.key + u"_rank"_s, QString::number(row ? row->rank : 0));
    }
    xml += "</templateData>";
    return xml;
}

QByteArray CasparCgClient::quoteParameter(const QByteArray &parameter)
{
    QByteArray out;
    out.reserve(parameter.size() + 16);
    out += '"';
    for (const char c : parameter) {
        if (c == '\\' || c == '"')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

QByteArray CasparCgClient::updateCommand(const Settings &settings, const PublishedResults &results)
{
    return "CG " + settings.channelLayer.toLatin1() + " UPDATE " +
           QByteArray::number(settings.templateLayer) + ' ' +
           quoteParameter(templateData(results, settings.documents)) + "\r\n";
}

QByteArray CasparCgClient::addCommand(const Settings &settings, const PublishedResults &results)
{
    return "CG " + settings.channelLayer.toLatin1() + " ADD " + QByteArray::number(settings.templateLayer) +
           ' ' + quoteParameter(settings.templateName.toUtf8()) + " 0 " +
           quoteParameter(templateData(results, settings.documents)) + "\r\n";
}

class CasparCgClient::Worker final : public QObject
{
public:
    Worker(std::shared_ptr<SharedStatus> status, CasparCgClient *facade)
        : m_status(std::move(status))
        , m_facade(facade)
    {
        m_socket.setParent(this);
        m_reconnectTimer.setParent(this);
        m_connectTimeout.setParent(this);
        m_reconnectTimer.setSingleShot(true);
        m_connectTimeout.setSingleShot(true);
        connect(&m_reconnectTimer, &QTimer::timeout, this, &Worker::connectNow);
        connect(&m_connectTimeout, &QTimer::timeout, this, [this] {
            // lost() first: the abort's own error signal then finds us already waiting.
            lost(u"no connection to %1:%2 within %3 ms"_s.arg(m_settings.host)
                     .arg(m_settings.port)
                     .arg(m_settings.connectTimeoutMs));
            m_socket.abort();
        });
        connect(&m_socket, &QTcpSocket::connected, this, &Worker::onConnected);
        connect(&m_socket, &QTcpSocket::readyRead, this, &Worker::onReadyRead);
        connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
            if (m_running && m_state == State::Connected)
                lost(u"CasparCG closed the connection"_s);
        });
        connect(&m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
            if (m_running && m_state != State::WaitingToReconnect)
                lost(m_socket.errorString());
        });
    }

    // Runs on the worker's thread as it finishes. The socket is cut loose first: closing it
    // emits disconnected, and the handlers must not run against half-destroyed members.
    ~Worker() override
    {
        m_running = false;
        m_socket.disconnect(this);
        m_socket.abort();
    }

    void start(const Settings &settings)
    {
        stop();
        m_settings = settings;
        m_running = true;
        m_added = false;
        m_backoffMs = settings.reconnectMinMs;
        updateStatus([](Status &s) { s = Status(); });
        connectNow();
    }

    void stop()
    {
        m_running = false;
        m_reconnectTimer.stop();
        m_connectTimeout.stop();
        m_socket.abort();
        m_inFlight.clear();
        m_received.clear();
        m_skipEchoLine = false;
        m_state = State::Stopped;
        updateStatus([](Status &s) { s.state = State::Stopped; });
    }

    void publish(PublishedResultsPtr results)
    {
        if (!results)
            return;
        m_latest = std::move(results);
        if (m_state == State::Connected && !(m_sent == PublishKey::of(*m_latest)))
            sendLatest();
    }

private:
    struct InFlight
    {
        bool add = false;
        quint64 version = 0;
    };

    void connectNow()
    {
        if (!m_running)
            return;
        m_socket.abort();
        m_received.clear();
        m_skipEchoLine = false;
        m_inFlight.clear();
        setState(State::Connecting);
        m_connectTimeout.start(m_settings.connectTimeoutMs);
        m_socket.connectToHost(m_settings.host, m_settings.port);
    }

    void onConnected()
    {
        m_connectTimeout.stop();
        m_backoffMs = m_settings.reconnectMinMs;
        m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
        m_socket.setSocketOption(QAbstractSocket::KeepAliveOption, 1);
        m_state = State::Connected;
        m_sent = {};
        updateStatus([](Status &s) {
            s.state = State::Connected;
            ++s.connects;
        });
        if (m_latest)
            sendLatest();
    }

    void sendLatest()
    {
        const bool add = (m_settings.loadMode == LoadMode::AddOnFirstConnect) && !m_added && !addInFlight();
        const QByteArray command =
            add ? addCommand(m_settings, *m_latest) : updateCommand(m_settings, *m_latest);
        m_socket.write(command);
        m_inFlight.push_back({add, m_latest->publishVersion});
        m_sent = PublishKey::of(*m_latest);
        const quint64 version = m_latest->publishVersion;
        updateStatus([version](Status &s) { s.sentVersion = version; });
    }

    bool addInFlight() const
    {
        for (const InFlight &command : m_inFlight) {
            if (command.add)
                return true;
        }
        return false;
    }

    // AMCP answers are CRLF lines starting with a three-digit code: 202 <CMD> OK for a
    // command taken, 4xx/5xx for a refusal. "400 ERROR" is followed by an echo of the
    // command line, which is not an answer of its own.
    void onReadyRead()
    {
        m_received += m_socket.readAll();
        qsizetype end;
        while ((end = m_received.indexOf('\n')) >= 0) {
            QByteArray line = m_received.left(end);
            m_received.remove(0, end + 1);
            if (line.endsWith('\r'))
                line.chop(1);
            if (m_skipEchoLine) {
                m_skipEchoLine = false;
                continue;
            }
            if (line.size() < 3 || !std::isdigit(uchar(line[0])) || !std::isdigit(uchar(line[1])) ||
                !std::isdigit(uchar(line[2])))
                continue; // data lines of answers we did not ask for
            const int code = line.left(3).toInt();
            if (code == 400)
                m_skipEchoLine = true;
            if (m_inFlight.empty())
                continue;
            const InFlight command = m_inFlight.front();
            m_inFlight.pop_front();
            if (code >= 200 && code < 300) {
                if (command.add)
                    m_added = true;
                updateStatus([&command](Status &s) { s.acknowledgedVersion = command.version; });
            } else {
                const QString text = u"CasparCG answered \"%1\" to CG %2 (publish %3)"_s.arg(
                    QString::fromUtf8(line), command.add ? u"ADD"_s : u"UPDATE"_s,
                    QString::number(command.version));
                setError(text);
            }
        }
        // A server that never sends a line end must not grow this without bound.
        if (m_received.size() > 1 << 20)
            m_received.clear();
    }

    void lost(const QString &reason)
    {
        m_connectTimeout.stop();
        m_inFlight.clear();
        m_state = State::WaitingToReconnect;
        setError(reason, State::WaitingToReconnect);
        m_reconnectTimer.start(m_backoffMs);
        m_backoffMs = std::min(m_backoffMs * 2, m_settings.reconnectMaxMs);
    }

    void setState(const State state)
    {
        m_state = state;
        updateStatus([state](Status &s) { s.state = state; });
    }

    void setError(const QString &text, std::optional<State> state = std::nullopt)
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        updateStatus([&](Status &s) {
            s.lastError = text;
            s.lastErrorAtMs = now;
            if (state)
                s.state = *state;
        });
    }

    template<typename Change>
    void updateStatus(Change change)
    {
        {
            QMutexLocker lock(&m_status->mutex);
            change(m_status->status);
        }
        CasparCgClient *facade = m_facade;
        QMetaObject::invokeMethod(
            facade, [facade] { Q_EMIT facade->statusChanged(); }, Qt::QueuedConnection);
    }

    std::shared_ptr<SharedStatus> m_status;
    CasparCgClient *m_facade;
    Settings m_settings;
    bool m_running = false;
    bool m_added = false;
    bool m_skipEchoLine = false;
    int m_backoffMs = 500;
    State m_state = State::Stopped;
    PublishedResultsPtr m_latest;
    PublishKey m_sent;
    std::deque<InFlight> m_inFlight;
    QByteArray m_received;
    QTcpSocket m_socket;
    QTimer m_reconnectTimer;
    QTimer m_connectTimeout;
};

CasparCgClient::CasparCgClient(QObject *parent)
    : QObject(parent)
    , m_status(std::make_shared<SharedStatus>())
    , m_worker(new Worker(m_status, this))
{
    m_thread.setObjectName(u"casparcg"_s);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

CasparCgClient::~CasparCgClient()
{
    // The worker (and its socket) is deleted on its own thread as the thread finishes.
    m_thread.quit();
    m_thread.wait();
}

bool CasparCgClient::start(const Settings &settings, QString *error)
{
    const QString problem = settings.validate();
    if (!problem.isEmpty()) {
        if (error)
            *error = problem;
        return false;
    }
    Worker *worker = m_worker;
    QMetaObject::invokeMethod(
        m_worker, [worker, settings] { worker->start(settings); }, Qt::QueuedConnection);
    return true;
}

void CasparCgClient::stop()
{
    Worker *worker = m_worker;
    QMetaObject::invokeMethod(
        m_worker, [worker] { worker->stop(); }, Qt::QueuedConnection);
}

void CasparCgClient::publish(PublishedResultsPtr results)
{
    Worker *worker = m_worker;
    QMetaObject::invokeMethod(
        m_worker, [worker, results = std::move(results)]() mutable { worker->publish(std::move(results)); },
        Qt::QueuedConnection);
}

CasparCgClient::Status CasparCgClient::status() const
{
    QMutexLocker lock(&m_status->mutex);
    return m_status->status;
}
