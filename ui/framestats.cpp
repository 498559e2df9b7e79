#include "framestats.h"

#include <cstdio>

#include <QDateTime>

using namespace Qt::Literals::StringLiterals;

std::unique_ptr<FrameStats> FrameStats::fromEnvironment()
{
    const QString path = qEnvironmentVariable(EnvironmentVariable);
    if (path.isEmpty())
        return nullptr;
    auto stats = std::make_unique<FrameStats>(path);
    if (!stats->isOpen()) {
        std::fprintf(stderr, "votedesk: cannot write frame stats to %s\n", qPrintable(path));
        return nullptr;
    }
    return stats;
}

FrameStats::FrameStats(const QString &path)
    : m_file(path)
{
    m_clock.start();
    if (m_file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text))
        m_file.write("kind,wall_ms,interval_ms,duration_ms\n");
}

FrameStats::~FrameStats()
{
    m_file.close();
}

void FrameStats::end(Kind kind, qint64 beganNs)
{
    if (!m_file.isOpen())
        return;
    const qint64 endedNs = m_clock.nsecsElapsed();
    qint64 &last = (kind == Kind::Frame) ? m_lastFrameNs : m_lastTickNs;
    const double intervalMs = last < 0 ? 0.0 : double(beganNs - last) / 1e6;
    last = beganNs;
    // QFile buffers: a line costs a formatted string, not a system call.
    const QByteArray line = (kind == Kind::Frame ? "frame," : "tick,") +
                            QByteArray::number(QDateTime::currentMSecsSinceEpoch()) + ',' +
                            QByteArray::number(intervalMs, 'f', 3) + ',' +
                            QByteArray::number(double(endedNs - beganNs) / 1e6, 'f', 3) + '\n';
    m_file.write(line);
    // Written out once a second, so a run that ends badly still leaves its figures.
    if (endedNs - m_lastFlushNs > 1'000'000'000) {
        m_file.flush();
        m_lastFlushNs = endedNs;
    }
}
