#include "httpclient.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrl>

using namespace Qt::Literals::StringLiterals;

QJsonObject HttpClient::Response::json() const
{
    return QJsonDocument::fromJson(body).object();
}

QByteArray HttpClient::Response::header(const QByteArray &name) const
{
    for (const auto &pair : headers) {
        if (pair.first.compare(name, Qt::CaseInsensitive) == 0)
            return pair.second;
    }
    return {};
}

HttpClient::HttpClient(quint16 port, int timeoutMs)
    : m_port(port)
    , m_timeoutMs(timeoutMs)
{
    m_manager.setProxy(QNetworkProxy::NoProxy);
}

HttpClient::Response HttpClient::run(QNetworkReply *reply)
{
    QEventLoop loop;
    QTimer timeout;
    timeout.setSingleShot(true);
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QObject::connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    timeout.start(m_timeoutMs);
    if (!reply->isFinished())
        loop.exec();
    Response response;
    if (!reply->isFinished()) {
        reply->abort();
        response.networkError = u"timed out"_s;
    } else {
        response.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        response.body = reply->readAll();
        response.headers = reply->rawHeaderPairs();
        if (response.status == 0)
            response.networkError = reply->errorString();
    }
    reply->deleteLater();
    return response;
}

HttpClient::Response HttpClient::get(const QString &path, const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QNetworkRequest request(QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_port).arg(path)));
    for (const auto &header : headers)
        request.setRawHeader(header.first, header.second);
    return run(m_manager.get(request));
}

HttpClient::Response HttpClient::post(const QString &path, const QByteArray &body,
                                      const QByteArray &contentType,
                                      const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QNetworkRequest request(QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_port).arg(path)));
    if (!contentType.isEmpty())
        request.setRawHeader("Content-Type", contentType);
    for (const auto &header : headers)
        request.setRawHeader(header.first, header.second);
    return run(m_manager.post(request, body));
}

HttpClient::Response HttpClient::postJson(const QString &path, const QJsonObject &json)
{
    return post(path, QJsonDocument(json).toJson(QJsonDocument::Compact));
}

HttpClient::Response HttpClient::vote(const QString &voter, const QString &option)
{
    return postJson(u"/v1/votes"_s, QJsonObject{{u"voter"_s, voter}, {u"option"_s, option}});
}

HttpClient::Response HttpClient::admin(const QString &action, int seconds)
{
    QJsonObject body{{u"action"_s, action}};
    if (seconds > 0)
        body.insert(u"seconds"_s, seconds);
    return postJson(u"/v1/admin/window"_s, body);
}

QJsonObject HttpClient::adminResults()
{
    return get(u"/v1/admin/results"_s).json();
}
