#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
struct SessionDefinition;

// The top of the console: the question on air, large, and the address the audience's
// clients post votes to, in a read-only field with a Copy button, for the web/app team.
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

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

Q_SIGNALS:
    // The URL was put on the clipboard (for a confirmation in the status bar).
    void ingestUrlCopied(const QString &url);

private:
    void copyIngestUrl();
    void elideQuestion();

    QString m_question;
    QLabel *m_questionLabel = nullptr;
    QLabel *m_detailsLabel = nullptr;
    QLineEdit *m_urlField = nullptr;
    QPushButton *m_copyButton = nullptr;
};
