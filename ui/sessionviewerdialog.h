#pragma once

#include <QDialog>

#include "engine/sessionarchive.h"

class QPushButton;

// A past session, read-only: what it asked, when its lines were open, its results recounted
// from the store, what was published, and its audit log. The window controls are shown but
// disabled: a vote that has run is never reopened (the audience was told the lines closed).
class SessionViewerDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionViewerDialog)

public:
    explicit SessionViewerDialog(const SessionView &view, QWidget *parent = nullptr);

    const SessionView &view() const { return m_view; }

private:
    const SessionView m_view;
};
