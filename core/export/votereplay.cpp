#include "export/votereplay.h"

#include <QRegularExpression>

using namespace Qt::Literals::StringLiterals;

CountingRule CountingRule::fromPolicy(const VotePolicy policy)
{
    CountingRule rule;
    switch (policy) {
    case VotePolicy::LastWins:
        rule.kind = Kind::LastWins;
        break;
    case VotePolicy::FirstWins:
        rule.kind = Kind::FirstWins;
        break;
    case VotePolicy::Unlimited:
        rule.kind = Kind::Unlimited;
        break;
    }
    return rule;
}

bool CountingRule::parse(const QString &text, CountingRule *rule, QString *error)
{
    static const QRegularExpression pattern(
        u"^(last_wins|first_wins|unlimited|capped:([1-9][0-9]{0,5}))(;per_option:([1-9][0-9]{0,5}))?$"_s);
    const QRegularExpressionMatch match = pattern.match(text.trimmed());
    if (!match.hasMatch()) {
        if (error)
            *error =
                u"unknown counting rule \"%1\" (last_wins, first_wins, unlimited or capped:N)"_s.arg(text);
        return false;
    }
    CountingRule parsed;
    const QString name = match.captured(1);
    if (name == u"last_wins"_s) {
        parsed.kind = Kind::LastWins;
    } else if (name == u"first_wins"_s) {
        parsed.kind = Kind::FirstWins;
    } else if (name == u"unlimited"_s) {
        parsed.kind = Kind::Unlimited;
    } else {
        parsed.kind = Kind::Capped;
        parsed.capPerVoter = match.captured(2).toInt();
    }
    if (match.hasCaptured(4))
        parsed.capPerVoterPerOption = match.captured(4).toInt();
    *rule = parsed;
    return true;
}

QString CountingRule::toString() const
{
    QString text;
    switch (kind) {
    case Kind::LastWins:
        text = u"last_wins"_s;
        break;
    case Kind::FirstWins:
        text = u"first_wins"_s;
        break;
    case Kind::Capped:
        text = u"capped:"_s + QString::number(capPerVoter);
        break;
    case Kind::Unlimited:
        text = u"unlimited"_s;
        break;
    }
    if (capPerVoterPerOption > 0)
        text += u";per_option:"_s + QString::number(capPerVoterPerOption);
    return text;
}

VoteReplay::VoteReplay(const SessionDefinition &session, const CountingRule rule)
    : m_session(session)
    , m_rule(rule)
    , m_sessionId(session.id)
    , m_raw(std::size_t(session.options.size()), 0)
    , m_exact(std::size_t(session.options.size()), 0)
{}

bool VoteReplay::prepare(const Source &source, QString *error)
{
    if (m_rule.kind != CountingRule::Kind::LastWins)
        return true;
    return source(
        [this](const ReplayVote &vote) {
            if (vote.late || m_session.indexOf(vote.option) < 0)
                return;
            m_voters[vote.voter.toByteArray()].lastSeq = vote.seq;
        },
        error);
}

VoteReplay::Verdict VoteReplay::judge(const ReplayVote &vote)
{
    if (vote.late)
        return {false, u"late"_s};
    const int option = m_session.indexOf(vote.option);
    if (option < 0)
        return {false, u"unknown option"_s};
    ++m_raw[std::size_t(option)];

    VoterState &voter = m_voters[vote.voter.toByteArray()];
    ++voter.votes;
    Verdict verdict{true, QString()};
    switch (m_rule.kind) {
    case CountingRule::Kind::LastWins:
        if (vote.seq != voter.lastSeq) {
            verdict = {false, u"superseded by "_s + QString::number(m_sessionId) + u'-' +
                                  QString::number(voter.lastSeq)};
        }
        break;
    case CountingRule::Kind::FirstWins:
        if (voter.votes > 1)
            verdict = {false, u"voter already voted"_s};
        break;
    case CountingRule::Kind::Capped:
        if (voter.counted >= m_rule.capPerVoter)
            verdict = {false, u"over the cap"_s};
        break;
    case CountingRule::Kind::Unlimited:
        break;
    }
    if (verdict.counted && m_rule.capPerVoterPerOption > 0 &&
        (m_rule.kind == CountingRule::Kind::Capped || m_rule.kind == CountingRule::Kind::Unlimited)) {
        int &forOption = m_perOption[vote.voter.toByteArray() + '\0' + vote.option.toByteArray()];
        if (forOption >= m_rule.capPerVoterPerOption)
            verdict = {false, u"over the option cap"_s};
        else
            ++forOption;
    }
    if (verdict.counted) {
        ++voter.counted;
        ++m_exact[std::size_t(option)];
    }
    return verdict;
}

QList<VoteReplay::Verdict> VoteReplay::replayAll(const SessionDefinition &session, const CountingRule rule,
                                                 const QList<ReplayVote> &votes, VoteReplay *state)
{
    VoteReplay local(session, rule);
    VoteReplay &replay = state ? *state : local;
    const Source source = [&votes](const Visit &visit, QString *) {
        for (const ReplayVote &vote : votes)
            visit(vote);
        return true;
    };
    replay.prepare(source, nullptr);
    QList<Verdict> verdicts;
    verdicts.reserve(votes.size());
    for (const ReplayVote &vote : votes)
        verdicts.append(replay.judge(vote));
    return verdicts;
}
