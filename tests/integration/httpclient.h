#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QPair>
#include <QString>

// A small HTTP client for integration tests. Each call runs the caller's event loop until
// the answer arrives (or the timeout passes), so queued work on the test's thread (the
// engine lives there) keeps running while the test waits. No sleeps.
class HttpClient final
{
public:
    struct Response
    {
        int status = 0; // 0 = no answer (connection error or timeout)
        QByteArray body;
        QList<QPair<QByteArray, QByteArray>> headers;
        QString networkError;

        QJsonObject json() const;
        QByteArray header(const QByteArray &name) const;
    };

    explicit HttpClient(quint16 port, int timeoutMs = 10'000);

    Response get(const QString &path, const QList<QPair<QByteArray, QByteArray>> &headers = {});
    Response post(const QString &path, const QByteArray &body,
                  const QByteArray &contentType = "application/json",
                  const QList<QPair<QByteArray, QByteArray>> &headers = {});
    Response postJson(const QString &path, const QJsonObject &json);

    // The usual calls of the tests.
    Response vote(const QString &voter, const QString &option);
    Response admin(const QString &action, int seconds = 0);
    QJsonObject adminResults();

private:
    Response run(class QNetworkReply *reply);

    QNetworkAccessManager m_manager;
    const quint16 m_port;
    const int m_timeoutMs;
};
