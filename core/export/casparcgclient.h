#pragma once

#include <memory>

#include <QMutex>
#include <QObject>
#include <QThread>

#include "export/publishedresults.h"
#include "export/resultdocuments.h"

// Pushes each publish to a CasparCG server over AMCP (TCP, default port 5250):
//
//   CG <channel-layer> UPDATE <template-layer> "<template data>"\r\n
//
// The template data is CasparCG's XML (one componentData per field, each holding
// <data id="text" value="..."/>), with the field ids of results-wide.csv plus a few:
//   question, total, status, and for every option KEY: KEY_label, KEY_votes, KEY_percent,
//   KEY_rank.
// Values are XML-escaped (newlines as &#10;, so the command stays on one line), then the
// whole XML is escaped for the AMCP quoted parameter (backslash and double quote get a
// backslash, as CasparCG's tokenizer expects).
//
// Load modes: UpdateOnly (default) never loads or plays anything; the graphics operator adds
// and takes the template on their own rundown and votedesk only feeds it data.
// AddOnFirstConnect sends CG <channel-layer> ADD <template-layer> "<template>" 0 "<data>"
// instead of the first UPDATE after start(): the template is loaded with the data but not
// played (play-on-load 0: nothing goes to air by itself). ADD is sent until CasparCG
// acknowledges it once; after that, reconnects only UPDATE, because ADD again would reload a
// template that may be on air.
//
// Connection: connects on start(), sends the latest publish on every (re)connect and each
// new one as it comes (UPDATE is idempotent, so a resend after a drop is harmless), reads the
// answers (2xx = taken; 4xx/5xx = error, reported with the line), and after a drop or a
// failed connect retries with exponential backoff (reconnectMinMs doubling up to
// reconnectMaxMs, back to the minimum after a successful connect).
//
// Threading: the socket lives on a QThread of its own, so neither a slow CasparCG machine
// nor a busy UI delays the other. Every public method is thread-safe and returns at once.
class CasparCgClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CasparCgClient)

public:
    enum class LoadMode
    {
        UpdateOnly = 1,
        AddOnFirstConnect
    };

    struct Settings
    {
        QString host = QStringLiteral("127.0.0.1");
        quint16 port = 5250;
        QString channelLayer = QStringLiteral("1-20"); // "<channel>" or "<channel>-<layer>"
        int templateLayer = 1;                         // the CG (flash) layer inside it
        QString templateName;                          // needed for AddOnFirstConnect
        LoadMode loadMode = LoadMode::UpdateOnly;
        int reconnectMinMs = 500;
        int reconnectMaxMs = 10'000;
        int connectTimeoutMs = 5'000;
        ResultDocuments::Options documents;

        QString validate() const; // empty when usable, else what is wrong
    };

    enum class State
    {
        Stopped = 1,
        Connecting,
        Connected,
        WaitingToReconnect
    };
    static QString stateName(State state); // "stopped", "connecting", "connected", "waiting to reconnect"

    struct Status
    {
        State state = State::Stopped;
        QString lastError; // last refusal or connection problem, human text; kept after recovery
        qint64 lastErrorAtMs = 0;
        quint64 sentVersion = 0;         // publish version of the last command written
        quint64 acknowledgedVersion = 0; // ... and of the last one CasparCG answered 2xx
        qint64 connects = 0;             // successful connections since start()
    };

    explicit CasparCgClient(QObject *parent = nullptr);
    ~CasparCgClient() override;

    // Validates, then (re)connects with these settings. Returns false with *error if invalid.
    bool start(const Settings &settings, QString *error = nullptr);
    void stop();
    // Sends the results if they are another publish than the last one sent; kept and sent on
    // the next connect otherwise. Null is ignored.
    void publish(PublishedResultsPtr results);

    Status status() const;

    // The command builders, public for tests and for a console "copy AMCP" button.
    static QByteArray templateData(const PublishedResults &results, const ResultDocuments::Options &options);
    static QByteArray quoteParameter(const QByteArray &parameter); // "..." with \\ and \" escaped
    static QByteArray updateCommand(const Settings &settings, const PublishedResults &results);
    static QByteArray addCommand(const Settings &settings, const PublishedResults &results);

Q_SIGNALS:
    // In the client's (owner's) thread, after every state change, answer or error.
    void statusChanged();

private:
    class Worker;
    struct SharedStatus
    {
        mutable QMutex mutex;
        Status status;
    };

    std::shared_ptr<SharedStatus> m_status;
    QThread m_thread;
    Worker *m_worker = nullptr; // lives in m_thread; deleted there when it finishes
};
