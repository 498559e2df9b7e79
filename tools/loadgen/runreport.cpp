#include "runreport.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include "duration.h"

using namespace Qt::Literals::StringLiterals;

namespace {
bool saveFile(const QString &path, const QByteArray &data, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
        if (error)
            *error = u"cannot write %1: %2"_s.arg(path, file.errorString());
        return false;
    }
    return true;
}

QString htmlEscape(const QString &text)
{
    return text.toHtmlEscaped();
}

// A "nice" axis maximum: 1, 2 or 5 times a power of ten, at or above the value.
double niceCeiling(double value)
{
    if (value <= 0)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double step : {1.0, 2.0, 5.0, 10.0}) {
        if (value <= step * magnitude)
            return step * magnitude;
    }
    return 10 * magnitude;
}

QString number(double value)
{
    if (value >= 1e6)
        return QString::number(value / 1e6, 'g', 3) + u"M"_s;
    if (value >= 1e4)
        return QString::number(value / 1e3, 'g', 3) + u"k"_s;
    return QString::number(value, 'g', 4);
}

struct Series
{
    QString name;
    QString colour;
    std::function<double(const SecondStats &)> value;
    bool dashed = false;
};

// One panel: a line per series over the seconds of the run.
QString svgPanel(const std::vector<SecondStats> &seconds, const QString &title, const QString &unit,
                 const QList<Series> &series)
{
    constexpr double width = 960, height = 320, left = 70, right = 20, top = 36, bottom = 40;
    const double plotW = width - left - right;
    const double plotH = height - top - bottom;
    double maxValue = 0;
    for (const SecondStats &s : seconds) {
        for (const Series &line : series)
            maxValue = std::max(maxValue, line.value(s));
    }
    const double yMax = niceCeiling(maxValue);
    const double xMax = std::max<double>(1, seconds.empty() ? 1 : double(seconds.back().second));
    auto x = [&](double second) {
        return left + plotW * second / xMax;
    };
    auto y = [&](double value) {
        return top + plotH * (1 - value / yMax);
    };

    QString svg =
        u"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %1 %2\" width=\"%1\" height=\"%2\" "
        u"role=\"img\" aria-label=\"%3\">\n"_s.arg(width)
            .arg(height)
            .arg(htmlEscape(title));
    svg += u"<rect x=\"0\" y=\"0\" width=\"%1\" height=\"%2\" fill=\"#ffffff\"/>\n"_s.arg(width).arg(height);
    svg += u"<text x=\"%1\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%2</text>\n"_s.arg(left).arg(
        htmlEscape(title));
    for (int i = 0; i <= 4; ++i) {
        const double value = yMax * i / 4;
        svg += u"<line x1=\"%1\" x2=\"%2\" y1=\"%3\" y2=\"%3\" stroke=\"#e0e0e0\"/>"
               u"<text x=\"%4\" y=\"%5\" font-size=\"11\" text-anchor=\"end\">%6</text>\n"_s.arg(left)
                   .arg(left + plotW)
                   .arg(y(value))
                   .arg(left - 6)
                   .arg(y(value) + 4)
                   .arg(number(value));
    }
    const int xTicks = int(std::min<double>(10, xMax));
    for (int i = 0; i <= xTicks; ++i) {
        const double second = std::round(xMax * i / std::max(1, xTicks));
        svg +=
            u"<text x=\"%1\" y=\"%2\" font-size=\"11\" text-anchor=\"middle\">%3s</text>\n"_s.arg(x(second))
                .arg(top + plotH + 16)
                .arg(second);
    }
    svg += u"<text x=\"14\" y=\"%1\" font-size=\"11\" transform=\"rotate(-90 14 %1)\" "
           u"text-anchor=\"middle\">%2</text>\n"_s.arg(top + plotH / 2)
               .arg(htmlEscape(unit));
    svg += u"<line x1=\"%1\" x2=\"%1\" y1=\"%2\" y2=\"%3\" stroke=\"#888\"/>"
           u"<line x1=\"%1\" x2=\"%4\" y1=\"%3\" y2=\"%3\" stroke=\"#888\"/>\n"_s.arg(left)
               .arg(top)
               .arg(top + plotH)
               .arg(left + plotW);
    double legendX = left + 260;
    QString dashedLines;
    for (const Series &line : series) {
        QString points = u"%1,%2"_s.arg(x(0)).arg(y(0));
        for (const SecondStats &s : seconds)
            points += u" %1,%2"_s.arg(x(double(s.second)), 0, 'f', 1).arg(y(line.value(s)), 0, 'f', 1);
        // Dashed reference lines (the target, the max) go on top, so a line that follows
        // them exactly does not hide them.
        (line.dashed ? dashedLines : svg) +=
            u"<polyline fill=\"none\" stroke=\"%1\" stroke-width=\"2\"%2 points=\"%3\"><title>%4</title>"
            u"</polyline>\n"_s.arg(line.colour, line.dashed ? u" stroke-dasharray=\"6 4\""_s : QString(),
                                   points, htmlEscape(line.name));
        svg += u"<rect x=\"%1\" y=\"12\" width=\"14\" height=\"4\" fill=\"%2\"/>"
               u"<text x=\"%3\" y=\"18\" font-size=\"12\">%4</text>\n"_s.arg(legendX)
                   .arg(line.colour)
                   .arg(legendX + 18)
                   .arg(htmlEscape(line.name));
        legendX += 30 + 7 * double(line.name.size());
    }
    svg += dashedLines;
    svg += u"</svg>\n"_s;
    return svg;
}
} // namespace

QString formatMicros(qint64 micros)
{
    if (micros < 1000)
        return u"%1 us"_s.arg(micros);
    if (micros < 1'000'000)
        return u"%1 ms"_s.arg(double(micros) / 1000.0, 0, 'f', 2);
    return u"%1 s"_s.arg(double(micros) / 1e6, 0, 'f', 2);
}

QString progressLine(const SecondStats &s)
{
    QString line = u"[%1s] sent %2/s (target %3) | 2xx %4 4xx %5 5xx %6 | retries %7 | p50 %8 p99 %9 | "
                   u"in flight %10"_s.arg(s.second, 4)
                       .arg(s.sent, 7)
                       .arg(s.target < 0 ? u"max"_s : u"%1/s"_s.arg(s.target))
                       .arg(s.ok)
                       .arg(s.client4xx)
                       .arg(s.server5xx)
                       .arg(s.retries)
                       .arg(formatMicros(s.p50Micros), formatMicros(s.p99Micros))
                       .arg(s.inFlight);
    if (s.unanswered > 0 || s.connectionErrors > 0)
        line += u" | unanswered %1, connection errors %2"_s.arg(s.unanswered).arg(s.connectionErrors);
    if (s.backlog > 0)
        line += u" | behind schedule by %1"_s.arg(s.backlog);
    return line;
}

QJsonObject RunSummary::toJson() const
{
    QJsonObject statuses;
    for (auto it = byStatus.cbegin(); it != byStatus.cend(); ++it)
        statuses.insert(QString::number(it.key()), it.value());
    QJsonObject kinds;
    for (auto it = byKindAndAnswer.cbegin(); it != byKindAndAnswer.cend(); ++it)
        kinds.insert(it.key(), it.value());
    QJsonArray series;
    for (const SecondStats &s : seconds) {
        series.append(QJsonObject{{u"t"_s, s.second},
                                  {u"target"_s, s.target},
                                  {u"sent"_s, s.sent},
                                  {u"retries"_s, s.retries},
                                  {u"acked"_s, s.ok},
                                  {u"4xx"_s, s.client4xx},
                                  {u"5xx"_s, s.server5xx},
                                  {u"unanswered"_s, s.unanswered},
                                  {u"connection_errors"_s, s.connectionErrors},
                                  {u"in_flight"_s, s.inFlight},
                                  {u"backlog"_s, s.backlog},
                                  {u"p50_ms"_s, double(s.p50Micros) / 1000.0},
                                  {u"p99_ms"_s, double(s.p99Micros) / 1000.0},
                                  {u"max_ms"_s, double(s.maxMicros) / 1000.0}});
    }
    return QJsonObject{
        {u"url"_s, url},
        {u"shape"_s, shape},
        {u"duration_ms"_s, plannedDurationMs},
        {u"elapsed_ms"_s, elapsedMs},
        {u"sending_ms"_s, sendingMs},
        {u"connections"_s, connections},
        {u"pipeline"_s, pipeline},
        {u"planned"_s, planned},
        {u"sent"_s, sent},
        {u"not_sent"_s, notSent},
        {u"requests"_s, requests},
        {u"send_rate"_s, std::round(sendRate())},
        {u"retries"_s, retries},
        {u"retries_given_up"_s, retriesGivenUp},
        {u"acked"_s, ok},
        {u"4xx"_s, client4xx},
        {u"5xx"_s, server5xx},
        {u"unanswered"_s, unanswered},
        {u"timeouts"_s, timeouts},
        {u"connection_errors"_s, connectionErrors},
        {u"unexpected_answers"_s, unexpectedAnswers},
        {u"by_status"_s, statuses},
        {u"by_kind"_s, kinds},
        {u"latency_ms"_s, QJsonObject{{u"count"_s, latency.count()},
                                      {u"p50"_s, double(latency.percentile(50)) / 1000.0},
                                      {u"p90"_s, double(latency.percentile(90)) / 1000.0},
                                      {u"p99"_s, double(latency.percentile(99)) / 1000.0},
                                      {u"p999"_s, double(latency.percentile(99.9)) / 1000.0},
                                      {u"max"_s, double(latency.max()) / 1000.0}}},
        {u"seconds"_s, series},
    };
}

QString RunSummary::text() const
{
    QString out;
    out += u"run: %1 for %2 against %3, %4 connections x %5 pipelined\n"_s
               .arg(shape, formatDurationMs(plannedDurationMs), url)
               .arg(connections)
               .arg(pipeline);
    out += u"votes: %1 planned, %2 sent, %3 not sent; %4 requests in %5 (%6 req/s), last answer after %7\n"_s
               .arg(planned)
               .arg(sent)
               .arg(notSent)
               .arg(requests)
               .arg(formatDurationMs(sendingMs))
               .arg(std::round(sendRate()))
               .arg(formatDurationMs(elapsedMs));
    out += u"answers: 2xx %1, 4xx %2, 5xx %3, unanswered %4 (timeouts %5), connection errors %6; retries %7, "
           u"given up %8\n"_s.arg(ok)
               .arg(client4xx)
               .arg(server5xx)
               .arg(unanswered)
               .arg(timeouts)
               .arg(connectionErrors)
               .arg(retries)
               .arg(retriesGivenUp);
    QStringList statuses;
    for (auto it = byStatus.cbegin(); it != byStatus.cend(); ++it)
        statuses.append(
            u"%1 x%2"_s.arg(it.key() == 0 ? u"none"_s : QString::number(it.key())).arg(it.value()));
    out += u"final answers by status: %1\n"_s.arg(statuses.join(u", "_s));
    if (unexpectedAnswers > 0)
        out += u"unexpected answers (not the one the vote's kind calls for): %1\n"_s.arg(unexpectedAnswers);
    out += u"latency: p50 %1, p90 %2, p99 %3, p99.9 %4, max %5\n"_s.arg(
        formatMicros(latency.percentile(50)), formatMicros(latency.percentile(90)),
        formatMicros(latency.percentile(99)), formatMicros(latency.percentile(99.9)),
        formatMicros(latency.max()));
    return out;
}

bool writeJsonReport(const QString &path, const RunSummary &summary, const QJsonObject &verdict,
                     QString *error)
{
    QJsonObject object = summary.toJson();
    if (!verdict.isEmpty())
        object.insert(u"verdict"_s, verdict);
    return saveFile(path, QJsonDocument(object).toJson(QJsonDocument::Indented), error);
}

QByteArray htmlChart(const RunSummary &summary, const QString &verdictLine)
{
    QString html = u"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   u"<title>votedesk-loadgen run</title>"
                   u"<style>body{font-family:sans-serif;margin:24px;color:#222}pre{background:#f6f6f6;"
                   u"padding:12px}.ok{color:#1a7f37}.bad{color:#b00020}</style></head><body>\n"_s;
    html += u"<h1>votedesk-loadgen</h1>\n"_s;
    if (!verdictLine.isEmpty()) {
        const bool ok = verdictLine.contains(u"VERIFIED"_s);
        html += u"<p class=\"%1\"><strong>%2</strong></p>\n"_s.arg(ok ? u"ok"_s : u"bad"_s,
                                                                   htmlEscape(verdictLine));
    }
    html += u"<pre>%1</pre>\n"_s.arg(htmlEscape(summary.text()));
    html += svgPanel(summary.seconds, u"Votes per second"_s, u"votes/s"_s,
                     {{u"target"_s, u"#9e9e9e"_s,
                       [](const SecondStats &s) { return double(std::max<qint64>(0, s.target)); }, true},
                      {u"sent"_s, u"#1f77b4"_s,
                       [](const SecondStats &s) {
                           return double(s.sent + s.retries);
                       }},
                      {u"acked (2xx)"_s, u"#2ca02c"_s,
                       [](const SecondStats &s) {
                           return double(s.ok);
                       }},
                      {u"refused (4xx+5xx)"_s, u"#d62728"_s, [](const SecondStats &s) {
                           return double(s.client4xx + s.server5xx);
                       }}});
    html += svgPanel(
        summary.seconds, u"Latency (request to answer)"_s, u"ms"_s,
        {{u"p50"_s, u"#1f77b4"_s,
          [](const SecondStats &s) {
              return double(s.p50Micros) / 1000.0;
          }},
         {u"p99"_s, u"#ff7f0e"_s,
          [](const SecondStats &s) {
              return double(s.p99Micros) / 1000.0;
          }},
         {u"max"_s, u"#9467bd"_s, [](const SecondStats &s) { return double(s.maxMicros) / 1000.0; }, true}});
    html += u"</body></html>\n"_s;
    return html.toUtf8();
}

bool writeHtmlChart(const QString &path, const RunSummary &summary, const QString &verdictLine,
                    QString *error)
{
    return saveFile(path, htmlChart(summary, verdictLine), error);
}
