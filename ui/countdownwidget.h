#pragma once

#include <QWidget>

#include "engine/consolebackend.h"

class QLabel;

// The big clock of the console: time left in the window, the window state and the wall-clock
// close time. Sized to be read from across the gallery (about 3 m).
class CountdownWidget final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CountdownWidget)

public:
    explicit CountdownWidget(QWidget *parent = nullptr);

    void setStatus(const WindowStatus &status);
    // The line under the close time while closing ("exact result in ~3 s"); empty hides it
    // but keeps its room, so nothing moves when it comes and goes.
    void setClosingEstimate(const QString &text);

    QString countdownText() const;
    QString stateText() const;
    QString detailText() const;
    QString closingEstimateText() const;

    // mm:ss, or h:mm:ss from one hour up; withTenths adds ".t" (used in the last 10 s).
    // Rounds up, so the display reaches 00:00 exactly at the close instant and never shows
    // 00:00 while votes are still accepted.
    static QString formatRemaining(qint64 remainingMs, bool withTenths);
    // Broadcast-style signal colour of a state (green = lines open, red = closed, ...).
    static QColor stateColour(WindowState state);

private:
    void applyStateColour(WindowState state);
    void applyDigitsColour(bool finalSeconds);
    void applyDigitsFont(qsizetype characters);

    QLabel *m_stateLabel = nullptr;
    QLabel *m_digitsLabel = nullptr;
    QLabel *m_detailLabel = nullptr;
    QLabel *m_estimateLabel = nullptr;
    WindowState m_shownState = {};
    bool m_finalSeconds = false;
    int m_digitsPointSize = 0;
};
