#include "export/finalreport.h"

#include <algorithm>

#include <QCryptographicHash>
#include <QDir>

#include "export/feedwriter.h"
#include "export/textescape.h"

using namespace Qt::Literals::StringLiterals;

namespace {
QString orDash(const QString &text)
{
    return text.isEmpty() ? u"-"_s : text;
}

QString when(const qint64 ms)
{
    return orDash(TextEscape::isoUtc(ms));
}

QString num(const qint64 value)
{
    return QString::number(value);
}

// "label:" padded so the values line up in the text report.
QString line(const QString &label, const QString &value)
{
    return u"  "_s + QString(label + u':').leftJustified(28) + value + u'\n';
}

qint64 sum(const std::vector<qint64> &counts)
{
    qint64 total = 0;
    for (const qint64 count : counts)
        total += std::max<qint64>(count, 0);
    return total;
}

qint64 at(const std::vector<qint64> &counts, const qsizetype i)
{
    return std::size_t(i) < counts.size() ? counts[std::size_t(i)] : 0;
}

// The smallest 1, 2 or 5 times a power of ten at or above value: readable chart scales.
qint64 niceCeiling(const qint64 value)
{
    qint64 step = 1;
    while (true) {
        for (const qint64 factor : {1, 2, 5}) {
            if (step * factor >= value)
                return step * factor;
        }
        step *= 10;
    }
}

QByteArray h(const QString &text)
{
    return TextEscape::html(text);
}

QByteArray hn(const qint64 value)
{
    return QByteArray::number(value);
}

struct OptionLine
{
    int rank = 0;
    QString key;
    QString label;
    qint64 raw = 0;
    qint64 exact = 0;
    QString percent;
};

// Session order with rank and percent from the certified (exact) table; labels as typed,
// the report is not a graphics feed.
QList<OptionLine> optionLines(const PublishedResults &results)
{
    const ResultTable table = ResultTable::compute(results.session, results.tally.exact);
    QList<OptionLine> lines;
    for (qsizetype i = 0; i < results.session.options.size(); ++i) {
        const VoteOption &option = results.session.options[i];
        OptionLine entry{
            0, option.key, option.label, at(results.tally.raw, i), at(results.tally.exact, i), u"0.0"_s};
        for (const ResultRow &row : table.rows) {
            if (row.key == option.key) {
                entry.rank = row.rank;
                entry.percent = row.percentText();
            }
        }
        lines.append(entry);
    }
    return lines;
}

QString banner(const PublishedResults &results)
{
    if (results.rehearsal)
        return u"REHEARSAL - these are not broadcast results"_s;
    if (!results.final)
        return u"NOT CERTIFIED - provisional results"_s;
    return QString();
}
} // namespace

FileDigest FileDigest::of(const QString &name, const QByteArray &content)
{
    return FileDigest{name, QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex(),
                      content.size()};
}

QString FinalReport::countingRule(const FinalReportInputs &inputs)
{
    return inputs.countingRule.isEmpty() ? inputs.results.session.rule().describe() : inputs.countingRule;
}

qint64 FinalReport::rejectedTotal(const FinalReportInputs &inputs)
{
    qint64 total = 0;
    for (const qint64 count : inputs.rejectedByReason)
        total += count;
    return total;
}

FinalReport::WindowTimes FinalReport::windowTimes(const FinalReportInputs &inputs)
{
    WindowTimes times;
    for (const AuditEntry &entry : inputs.audit) {
        if (entry.kind == u"lines_opened"_s && times.openedAtMs == 0)
            times.openedAtMs = entry.atMs;
        else if (entry.kind == u"lines_extended"_s)
            times.extensions.append(entry);
        else if (entry.kind == u"lines_closed"_s)
            times.closedAtMs = entry.atMs; // the last close is the one that stands
    }
    const WindowRecord &window = inputs.results.window;
    if (times.openedAtMs == 0)
        times.openedAtMs = window.openedAtMs;
    if (times.closedAtMs == 0)
        times.closedAtMs = window.closedAtMs;
    times.plannedCloseAtMs = window.closesAtMs;
    return times;
}

FinalReport::Throughput FinalReport::throughput(const QList<SecondSample> &samples)
{
    Throughput t;
    for (const SecondSample &s : samples) {
        if (s.atMs == 0)
            continue;
        ++t.seconds;
        t.acceptedVotes += s.accepted * s.intervalMs / 1000;
        t.rejectedVotes += s.rejected * s.intervalMs / 1000;
        t.persistedVotes += s.persisted * s.intervalMs / 1000;
        if (s.accepted > t.peakAccepted) {
            t.peakAccepted = s.accepted;
            t.peakAcceptedAtMs = s.atMs;
        }
        t.peakRejected = std::max(t.peakRejected, s.rejected);
        t.peakPersisted = std::max(t.peakPersisted, s.persisted);
    }
    return t;
}

QList<FileDigest> FinalReport::documentDigests(const PublishedResults &results,
                                               const ResultDocuments::Options &options)
{
    QList<FileDigest> digests;
    for (const ResultDocuments::Kind kind : ResultDocuments::kKinds)
        digests.append(
            FileDigest::of(ResultDocuments::fileName(kind), ResultDocuments::render(kind, results, options)));
    return digests;
}

CountExclusions FinalReport::exclusions(const QList<AuditEntry> &audit)
{
    CountExclusions out;
    for (const AuditEntry &entry : audit) {
        if (const auto exclusion =
                CountExclusion::fromEvent(entry.kind, entry.detail, entry.actor, entry.atMs))
            out.append(*exclusion);
    }
    return out;
}

QByteArray FinalReport::text(const FinalReportInputs &inputs)
{
    const PublishedResults &r = inputs.results;
    const WindowTimes times = windowTimes(inputs);
    const Throughput tp = throughput(inputs.samples);
    QString out;
    out += u"VOTEDESK FINAL REPORT\n=====================\n"_s;
    if (!banner(r).isEmpty())
        out += u"*** "_s + banner(r) + u" ***\n"_s;
    out += u'\n';
    out += line(u"Session"_s, num(r.session.id) + u" - "_s + r.session.title);
    out += line(u"Question"_s, r.session.question);
    out += line(u"Status"_s, ResultDocuments::statusText(r));
    out += line(u"Counting rule"_s, countingRule(inputs));
    out += line(u"Published"_s,
                u"version "_s + QString::number(r.publishVersion) + u" at "_s + when(r.publishedAtMs));
    out += line(u"Generated"_s, when(inputs.generatedAtMs) + u" by votedesk "_s + orDash(inputs.appVersion));

    out += u"\nWINDOW (UTC)\n"_s;
    out += line(u"Opened"_s, when(times.openedAtMs));
    for (const AuditEntry &extension : times.extensions)
        out += line(u"Extended"_s, when(extension.atMs) + u"  "_s + extension.detail);
    out += line(u"Planned close"_s, when(times.plannedCloseAtMs));
    out += line(u"Closed"_s, when(times.closedAtMs));

    out += u"\nTOTALS\n"_s;
    out += line(u"Accepted votes (raw)"_s, num(sum(r.tally.raw)));
    out += line(u"Counted votes (exact)"_s, num(sum(r.tally.exact)));
    out += line(u"Unique voters"_s, num(r.tally.uniqueVoters));
    out += line(u"Rejected votes"_s, num(rejectedTotal(inputs)));
    out += line(u"Late votes (not counted)"_s, num(inputs.late));

    out += u"\nOPTIONS (raw = every accepted vote, exact = counted under the rule)\n"_s;
    out += u"  rank  key               raw         exact      percent  label\n"_s;
    for (const OptionLine &o : optionLines(r)) {
        out += u"  "_s + num(o.rank).leftJustified(6) + o.key.leftJustified(16) +
               num(o.raw).rightJustified(6) + num(o.exact).rightJustified(14) + o.percent.rightJustified(13) +
               u"  "_s + o.label + u'\n';
    }

    out += u"\nEXCLUDED FROM THE COUNT BY THE OPERATOR\n"_s;
    const CountExclusions excluded = exclusions(inputs.audit);
    if (excluded.isEmpty())
        out += u"  none\n"_s;
    else
        out += line(u"Votes left out"_s, num(inputs.excludedVotes));
    for (const CountExclusion &e : excluded) {
        QString reason = e.reason;
        reason.replace(u'\r', u' ').replace(u'\n', u' ');
        out += u"  "_s + when(e.atMs).leftJustified(26) + CountExclusion::kindName(e.kind).leftJustified(15) +
               e.value.leftJustified(22) + orDash(e.actor).leftJustified(22) + reason + u'\n';
    }

    out += u"\nREJECTED BY REASON\n"_s;
    if (inputs.rejectedByReason.isEmpty())
        out += u"  none\n"_s;
    for (auto it = inputs.rejectedByReason.cbegin(); it != inputs.rejectedByReason.cend(); ++it)
        out += line(it.key(), num(it.value()));

    out += u"\nTHROUGHPUT PER SECOND (votes/s)\n"_s;
    out += line(u"Seconds sampled"_s, num(tp.seconds));
    out += line(u"Peak accepted"_s, num(tp.peakAccepted) + u"/s at "_s + when(tp.peakAcceptedAtMs));
    out += line(u"Peak rejected"_s, num(tp.peakRejected) + u"/s"_s);
    out += line(u"Peak persisted"_s, num(tp.peakPersisted) + u"/s"_s);
    out += u"  time (UTC)                  accepted  rejected  persisted\n"_s;
    for (const SecondSample &s : inputs.samples) {
        if (s.atMs == 0)
            continue;
        out += u"  "_s + when(s.atMs).leftJustified(26) + num(s.accepted).rightJustified(10) +
               num(s.rejected).rightJustified(10) + num(s.persisted).rightJustified(11) + u'\n';
    }

    out += u"\nOPERATOR AUDIT LOG (UTC)\n"_s;
    if (inputs.audit.isEmpty())
        out += u"  none\n"_s;
    for (const AuditEntry &e : inputs.audit) {
        // One entry per line whatever the detail holds.
        QString detail = e.detail;
        detail.replace(u'\r', u' ').replace(u'\n', u' ');
        out += u"  "_s + when(e.atMs).leftJustified(26) + e.kind.leftJustified(20) +
               orDash(e.actor).leftJustified(22) + detail + u'\n';
    }

    out += u"\nSHA-256 OF THE FINAL FILES (sha256sum format)\n"_s;
    if (inputs.files.isEmpty())
        out += u"  none\n"_s;
    for (const FileDigest &f : inputs.files)
        out += QString::fromLatin1(f.sha256Hex) + u"  "_s + f.name + u'\n';
    return out.toUtf8();
}

namespace {
// Inline SVG: accepted, rejected and persisted votes/s against seconds since the first
// sample. Drawn from the samples alone; no script, no external font or stylesheet.
QByteArray throughputSvg(const QList<SecondSample> &all)
{
    QList<SecondSample> samples;
    for (const SecondSample &s : all) {
        if (s.atMs != 0)
            samples.append(s);
    }
    if (samples.isEmpty())
        return QByteArrayLiteral("<p>No per-second samples were recorded.</p>\n");

    constexpr int width = 860, height = 260, left = 56, right = 16, top = 16, bottom = 40;
    constexpr int plotW = width - left - right, plotH = height - top - bottom;
    qint64 peak = 1;
    for (const SecondSample &s : samples)
        peak = std::max({peak, s.accepted, s.rejected, s.persisted});
    const qint64 yMax = niceCeiling(peak);
    const qint64 t0 = samples.front().atMs;
    const qint64 span = std::max<qint64>(samples.back().atMs - t0, 1);
    const auto x = [&](const qint64 atMs) {
        return left + double(atMs - t0) * plotW / double(span);
    };
    const auto y = [&](const qint64 rate) {
        return top + plotH - double(rate) * plotH / double(yMax);
    };
    const auto coordinate = [](const double v) {
        return QByteArray::number(v, 'f', 1);
    };

    QByteArray svg =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + hn(width) + ' ' + hn(height) +
        "\" width=\"" + hn(width) + "\" height=\"" + hn(height) +
        "\" role=\"img\" aria-label=\"votes per second\" font-family=\"sans-serif\" font-size=\"11\">\n";
    // Grid and y labels at 0, half and full scale.
    for (const qint64 tick : {qint64(0), yMax / 2, yMax}) {
        svg += "<line x1=\"" + hn(left) + "\" x2=\"" + hn(left + plotW) + "\" y1=\"" + coordinate(y(tick)) +
               "\" y2=\"" + coordinate(y(tick)) + "\" stroke=\"#ccc\"/>";
        svg += "<text x=\"" + hn(left - 6) + "\" y=\"" + coordinate(y(tick) + 4) + "\" text-anchor=\"end\">" +
               hn(tick) + "</text>\n";
    }
    const qint64 seconds = span / 1000;
    for (const qint64 tick : {qint64(0), seconds / 2, seconds}) {
        svg += "<text x=\"" + coordinate(x(t0 + tick * 1000)) + "\" y=\"" + hn(top + plotH + 16) +
               "\" text-anchor=\"middle\">+" + hn(tick) + " s</text>";
    }
    svg += "<text x=\"" + hn(left + plotW / 2) + "\" y=\"" + hn(height - 4) +
           "\" text-anchor=\"middle\">seconds since " + h(TextEscape::isoUtc(t0)) + "</text>\n";

    struct Series
    {
        const char *name;
        const char *colour;
        const char *dash;
        qint64 SecondSample::*field;
    };
    const Series series[] = {{"accepted", "#2a9d3a", "", &SecondSample::accepted},
                             {"persisted", "#1f5fbf", " stroke-dasharray=\"5 3\"", &SecondSample::persisted},
                             {"rejected", "#d62728", "", &SecondSample::rejected}};
    int legendX = left + 8;
    for (const Series &s : series) {
        QByteArray points;
        for (const SecondSample &sample : samples)
            points += coordinate(x(sample.atMs)) + ',' + coordinate(y(sample.*s.field)) + ' ';
        svg += "<polyline class=\"" + QByteArray(s.name) + "\" fill=\"none\" stroke=\"" + s.colour +
               "\" stroke-width=\"1.5\"" + s.dash + " points=\"" + points.trimmed() + "\"/>\n";
        svg += "<rect x=\"" + hn(legendX) + "\" y=\"" + hn(top + 2) +
               "\" width=\"10\" height=\"10\" fill=\"" + s.colour + "\"/><text x=\"" + hn(legendX + 14) +
               "\" y=\"" + hn(top + 11) + "\">" + s.name + "/s</text>\n";
        legendX += 100;
    }
    svg += "<rect x=\"" + hn(left) + "\" y=\"" + hn(top) + "\" width=\"" + hn(plotW) + "\" height=\"" +
           hn(plotH) + "\" fill=\"none\" stroke=\"#888\"/>\n</svg>\n";
    return svg;
}

QByteArray row(const QList<QByteArray> &cells, const char *tag = "td")
{
    QByteArray out = "<tr>";
    for (const QByteArray &cell : cells)
        out += '<' + QByteArray(tag) + '>' + cell + "</" + QByteArray(tag) + '>';
    return out + "</tr>\n";
}
} // namespace

QByteArray FinalReport::html(const FinalReportInputs &inputs)
{
    const PublishedResults &r = inputs.results;
    const WindowTimes times = windowTimes(inputs);
    const Throughput tp = throughput(inputs.samples);
    QByteArray out =
        QByteArrayLiteral("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out += "<title>Final report - " + h(r.session.title) + "</title>\n";
    out += "<style>\n"
           "body{font-family:sans-serif;margin:2em;color:#222;max-width:960px}\n"
           "table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
           "th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}\n"
           "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
           ".banner{background:#d62728;color:#fff;font-weight:bold;padding:.6em 1em;font-size:1.3em}\n"
           "code{font-size:.9em}\n"
           "</style>\n</head>\n<body>\n";
    out += "<h1>Final report</h1>\n";
    if (!banner(r).isEmpty())
        out += "<p class=\"banner\">" + h(banner(r)) + "</p>\n";

    out += "<table>\n";
    out += row({"Session", hn(r.session.id) + " - " + h(r.session.title)}, "td");
    out += row({"Question", h(r.session.question)});
    out += row({"Status", h(ResultDocuments::statusText(r))});
    out += row({"Counting rule", h(countingRule(inputs))});
    out += row(
        {"Published", "version " + QByteArray::number(r.publishVersion) + " at " + h(when(r.publishedAtMs))});
    out += row({"Generated", h(when(inputs.generatedAtMs)) + " by votedesk " + h(orDash(inputs.appVersion))});
    out += "</table>\n";

    out += "<h2>Window (UTC)</h2>\n<table>\n";
    out += row({"Opened", h(when(times.openedAtMs))});
    for (const AuditEntry &extension : times.extensions)
        out += row({"Extended", h(when(extension.atMs)) + " " + h(extension.detail)});
    out += row({"Planned close", h(when(times.plannedCloseAtMs))});
    out += row({"Closed", h(when(times.closedAtMs))});
    out += "</table>\n";

    out += "<h2>Totals</h2>\n<table>\n";
    out += row({"Accepted votes (raw)", hn(sum(r.tally.raw))});
    out += row({"Counted votes (exact)", hn(sum(r.tally.exact))});
    out += row({"Unique voters", hn(r.tally.uniqueVoters)});
    out += row({"Rejected votes", hn(rejectedTotal(inputs))});
    out += row({"Late votes (not counted)", hn(inputs.late)});
    out += "</table>\n";

    out += "<h2>Options</h2>\n<p>raw = every accepted vote; exact = counted under the rule.</p>\n<table>\n";
    out += row({"rank", "key", "label", "raw", "exact", "percent"}, "th");
    for (const OptionLine &o : optionLines(r)) {
        out += "<tr><td class=\"n\">" + hn(o.rank) + "</td><td>" + h(o.key) + "</td><td>" + h(o.label) +
               "</td><td class=\"n\">" + hn(o.raw) + "</td><td class=\"n\">" + hn(o.exact) +
               "</td><td class=\"n\">" + h(o.percent) + "</td></tr>\n";
    }
    out += "</table>\n";

    out += "<h2>Excluded from the count by the operator</h2>\n";
    const CountExclusions excluded = exclusions(inputs.audit);
    if (excluded.isEmpty()) {
        out += "<p>None.</p>\n";
    } else {
        out += "<p>Votes left out: " + hn(inputs.excludedVotes) + ".</p>\n<table>\n" +
               row({"time (UTC)", "kind", "value", "by", "reason"}, "th");
        for (const CountExclusion &e : excluded) {
            out += "<tr><td>" + h(when(e.atMs)) + "</td><td>" + h(CountExclusion::kindName(e.kind)) +
                   "</td><td>" + h(e.value) + "</td><td>" + h(orDash(e.actor)) + "</td><td>" + h(e.reason) +
                   "</td></tr>\n";
        }
        out += "</table>\n";
    }

    out += "<h2>Rejected by reason</h2>\n";
    if (inputs.rejectedByReason.isEmpty()) {
        out += "<p>None.</p>\n";
    } else {
        out += "<table>\n" + row({"reason", "votes"}, "th");
        for (auto it = inputs.rejectedByReason.cbegin(); it != inputs.rejectedByReason.cend(); ++it)
            out += "<tr><td>" + h(it.key()) + "</td><td class=\"n\">" + hn(it.value()) + "</td></tr>\n";
        out += "</table>\n";
    }

    out += "<h2>Throughput per second</h2>\n";
    out += "<p>Seconds sampled: " + hn(tp.seconds) + ". Peak accepted " + hn(tp.peakAccepted) + "/s at " +
           h(when(tp.peakAcceptedAtMs)) + "; peak rejected " + hn(tp.peakRejected) + "/s; peak persisted " +
           hn(tp.peakPersisted) + "/s.</p>\n";
    out += throughputSvg(inputs.samples);

    out += "<h2>Operator audit log (UTC)</h2>\n";
    if (inputs.audit.isEmpty()) {
        out += "<p>None.</p>\n";
    } else {
        out += "<table>\n" + row({"time", "action", "by", "detail"}, "th");
        for (const AuditEntry &e : inputs.audit)
            out += row({h(when(e.atMs)), h(e.kind), h(orDash(e.actor)), h(e.detail)});
        out += "</table>\n";
    }

    out += "<h2>SHA-256 of the final files</h2>\n";
    if (inputs.files.isEmpty()) {
        out += "<p>None.</p>\n";
    } else {
        out += "<table>\n" + row({"file", "bytes", "SHA-256"}, "th");
        for (const FileDigest &f : inputs.files) {
            out += "<tr><td>" + h(f.name) + "</td><td class=\"n\">" + hn(f.bytes) + "</td><td><code>" +
                   f.sha256Hex + "</code></td></tr>\n";
        }
        out += "</table>\n";
    }
    out += "</body>\n</html>\n";
    return out;
}

bool FinalReport::writeFiles(const QString &folder, const FinalReportInputs &inputs, QStringList *errors)
{
    const QDir dir(folder);
    bool ok = true;
    const std::pair<QString, QByteArray> files[] = {{u"final-report.txt"_s, text(inputs)},
                                                    {u"final-report.html"_s, html(inputs)}};
    for (const auto &[name, content] : files) {
        QString error;
        if (!FeedWriter::replaceFile(dir.filePath(name), content, &error)) {
            ok = false;
            if (errors)
                errors->append(error);
        }
    }
    return ok;
}
