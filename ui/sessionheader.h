#pragma once

#include <QWidget>

class QLabel;
struct SessionDefinition;

// The top of the console: the question on air, large, and the address the audience's
// clients post votes to, selectable so the operator can copy it into a partner's chat.
class SessionHeader final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionHeader)

public:
    explicit SessionHeader(QWidget *parent = nullptr);

    void setSession(const SessionDefinition &session);
    void setIngestUrl(const QString &url);

    QString questionText() const;
    QString ingestUrlText() const;

private:
    QLabel *m_questionLabel = nullptr;
    QLabel *m_detailsLabel = nullptr;
    QLabel *m_urlLabel = nullptr;
};
