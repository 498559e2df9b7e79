#include "export/autoexporter.h"

#include <memory>

#include <QTimer>

class AutoExporter::Worker final : public QObject
{
public:
    Worker(Source source, AutoExporter *facade)
        : m_source(std::move(source))
        , m_facade(facade)
    {
        m_timer.setParent(this); // moves to the exporter's thread with the worker
        connect(&m_timer, &QTimer::timeout, this, &Worker::check);
    }

    void configure(const Settings &settings)
    {
        m_writer = std::make_unique<FeedWriter>(settings.folder, settings.documents);
        m_timer.start(std::max(settings.intervalMs, kMinIntervalMs));
        check();
    }

    void stop()
    {
        m_timer.stop();
        m_writer.reset();
    }

    void check()
    {
        if (!m_writer)
            return;
        const PublishedResultsPtr results = m_source ? m_source() : nullptr;
        FeedWriter::Outcome outcome;
        if (results)
            outcome = m_writer->write(*results);
        // Posted with the facade as context: if it is being destroyed, the event is dropped.
        AutoExporter *facade = m_facade;
        QMetaObject::invokeMethod(
            facade, [facade, outcome] { facade->deliver(outcome); }, Qt::QueuedConnection);
    }

private:
    Source m_source;
    AutoExporter *m_facade;
    QTimer m_timer;
    std::unique_ptr<FeedWriter> m_writer;
};

AutoExporter::AutoExporter(Source source, QObject *parent)
    : QObject(parent)
    , m_worker(new Worker(std::move(source), this))
{
    m_thread.setObjectName(QStringLiteral("auto-export"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start(QThread::LowPriority);
}

AutoExporter::~AutoExporter()
{
    m_thread.quit();
    m_thread.wait();
}

void AutoExporter::start(const Settings &settings)
{
    Worker *worker = m_worker;
    QMetaObject::invokeMethod(
        m_worker, [worker, settings] { worker->configure(settings); }, Qt::QueuedConnection);
}

void AutoExporter::stop()
{
    Worker *worker = m_worker;
    QMetaObject::invokeMethod(
        m_worker, [worker] { worker->stop(); }, Qt::QueuedConnection);
}

void AutoExporter::exportNow()
{
    Worker *worker = m_worker;
    QMetaObject::invokeMethod(
        m_worker, [worker] { worker->check(); }, Qt::QueuedConnection);
}

void AutoExporter::deliver(const FeedWriter::Outcome &outcome)
{
    m_lastOutcome = outcome;
    ++m_checks;
    Q_EMIT checked(outcome);
    if (outcome.changed())
        Q_EMIT exported(outcome.publishVersion, outcome.written);
    if (!outcome.errors.isEmpty())
        Q_EMIT failed(outcome.errors);
}
