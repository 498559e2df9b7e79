#include "session/votingwindow.h"

using namespace Qt::Literals::StringLiterals;

namespace {
bool refuse(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

QString notAllowed(const char *action, WindowState state)
{
    return u"cannot %1: the window is %2"_s.arg(QLatin1StringView(action), windowStateName(state));
}
} // namespace

QString windowStateName(WindowState state)
{
    switch (state) {
    case WindowState::Draft:
        return u"draft"_s;
    case WindowState::Ready:
        return u"ready"_s;
    case WindowState::Open:
        return u"open"_s;
    case WindowState::Closing:
        return u"closing"_s;
    case WindowState::Closed:
        return u"closed"_s;
    case WindowState::Final:
        return u"final"_s;
    }
    return u"unknown"_s;
}

bool parseWindowState(const QString &name, WindowState *state)
{
    for (WindowState candidate : {WindowState::Draft, WindowState::Ready, WindowState::Open,
                                  WindowState::Closing, WindowState::Closed, WindowState::Final}) {
        if (windowStateName(candidate) == name) {
            *state = candidate;
            return true;
        }
    }
    return false;
}

VotingWindow::VotingWindow(qint64 lengthMs, qint64 lateToleranceMs)
    : m_lateToleranceMs(lateToleranceMs)
{
    m_record.state = WindowState::Ready;
    m_record.lengthMs = lengthMs;
}

VotingWindow VotingWindow::resume(const WindowRecord &record, qint64 lateToleranceMs, qint64 nowMs)
{
    VotingWindow window(record.lengthMs, lateToleranceMs);
    window.m_record = record;
    // The app was down past the close instant: nothing can have been received after it, so
    // the window is closing now and closes for good once the (empty) queue is drained.
    window.expireIfDue(nowMs);
    return window;
}

bool VotingWindow::arm(QString *error)
{
    if (m_record.state != WindowState::Draft)
        return refuse(error, notAllowed("arm", m_record.state));
    m_record.state = WindowState::Ready;
    return true;
}

bool VotingWindow::open(qint64 nowMs, QString *error)
{
    if (m_record.state != WindowState::Ready)
        return refuse(error, notAllowed("open the lines", m_record.state));
    m_record.state = WindowState::Open;
    m_record.openedAtMs = nowMs;
    m_record.closesAtMs = nowMs + m_record.lengthMs;
    m_record.closedAtMs = 0;
    return true;
}

bool VotingWindow::extend(qint64 nowMs, qint64 extraMs, QString *error)
{
    if (m_record.state != WindowState::Open || nowMs >= acceptUntilMs())
        return refuse(error, notAllowed("extend", m_record.state == WindowState::Open ? WindowState::Closing
                                                                                      : m_record.state));
    if (extraMs <= 0)
        return refuse(error, u"cannot extend by %1 ms: the extension must be positive"_s.arg(extraMs));
    m_record.closesAtMs += extraMs;
    return true;
}

bool VotingWindow::closeNow(qint64 nowMs, QString *error)
{
    if (m_record.state != WindowState::Open)
        return refuse(error, notAllowed("close the lines", m_record.state));
    m_record.state = WindowState::Closing;
    // Closing early can only bring the close instant forward, never past the planned one.
    m_record.closedAtMs = qMin(nowMs, m_record.closesAtMs);
    return true;
}

bool VotingWindow::markDrained(QString *error)
{
    if (m_record.state != WindowState::Closing)
        return refuse(error, notAllowed("mark drained", m_record.state));
    m_record.state = WindowState::Closed;
    return true;
}

bool VotingWindow::finalize(QString *error)
{
    if (m_record.state != WindowState::Closed)
        return refuse(error, notAllowed("finalize", m_record.state));
    m_record.state = WindowState::Final;
    return true;
}

bool VotingWindow::expireIfDue(qint64 nowMs)
{
    if (m_record.state != WindowState::Open || nowMs < acceptUntilMs())
        return false;
    m_record.state = WindowState::Closing;
    m_record.closedAtMs = m_record.closesAtMs;
    return true;
}

VotingWindow::Admission VotingWindow::admit(qint64 receivedAtMs) const
{
    switch (m_record.state) {
    case WindowState::Draft:
    case WindowState::Ready:
        return Admission::NotOpen;
    case WindowState::Open:
        if (receivedAtMs < m_record.openedAtMs)
            return Admission::NotOpen;
        return receivedAtMs < acceptUntilMs() ? Admission::Accept : Admission::Closed;
    case WindowState::Closing:
    case WindowState::Closed:
    case WindowState::Final:
        return Admission::Closed;
    }
    return Admission::Closed;
}

qint64 VotingWindow::remainingMs(qint64 nowMs) const
{
    switch (m_record.state) {
    case WindowState::Draft:
    case WindowState::Ready:
        return m_record.lengthMs;
    case WindowState::Open:
        return qMax<qint64>(0, m_record.closesAtMs - nowMs);
    default:
        return 0;
    }
}

qint64 VotingWindow::acceptUntilMs() const
{
    return m_record.state == WindowState::Open ? m_record.closesAtMs + m_lateToleranceMs : 0;
}

qint64 VotingWindow::nextDeadlineMs() const
{
    return acceptUntilMs();
}
