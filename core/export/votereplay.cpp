#include "export/votereplay.h"

using namespace Qt::Literals::StringLiterals;

VoteReplay::VoteReplay(const SessionDefinition &session, const CountingRule rule)
    : m_session(session)
    , m_rule(rule)
    , m_optionCap(rule.effectiveOptionCap())
    , m_sessionId(session.id)
    , m_raw(std::size_t(session.options.size()), 0)
    , m_exact(std::size_t(session.options.size()), 0)
{}

bool VoteReplay::prepare(const Source &source, QString *error)
{
    if (m_rule.policy != VotePolicy::LastWins)
        return true;
    return source(
        [this](const ReplayVote &vote) {
            if (vote.late || m_session.indexOf(vote.option) < 0 || isExcluded(vote))
                return;
            m_voters[vote.voter.toByteArray()].lastSeq = vote.seq;
        },
        error);
}

VoteReplay::Verdict VoteReplay::judge(const ReplayVote &vote)
{
    if (vote.late)
        return {false, u"late"_s};
    if (isExcluded(vote))
        return {false, u"excluded by the operator"_s};
    const int option = m_session.indexOf(vote.option);
    if (option < 0)
        return {false, u"unknown option"_s};
    ++m_raw[std::size_t(option)];

    VoterState &voter = m_voters[vote.voter.toByteArray()];
    ++voter.votes;
    Verdict verdict{true, QString()};
    switch (m_rule.policy) {
    case VotePolicy::LastWins:
        if (vote.seq != voter.lastSeq) {
            verdict = {false, u"superseded by "_s + QString::number(m_sessionId) + u'-' +
                                  QString::number(voter.lastSeq)};
        }
        break;
    case VotePolicy::FirstWins:
        if (voter.votes > 1)
            verdict = {false, u"voter already voted"_s};
        break;
    case VotePolicy::Capped:
        if (voter.counted >= m_rule.voteCap)
            verdict = {false, u"over the cap"_s};
        break;
    case VotePolicy::Unlimited:
        break;
    }
    if (verdict.counted && m_optionCap > 0) {
        int &forOption = m_perOption[vote.voter.toByteArray() + '\0' + vote.option.toByteArray()];
        if (forOption >= m_optionCap)
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

bool VoteReplay::count(const ReplayVote &vote)
{
    if (vote.late || isExcluded(vote))
        return false;
    const int option = m_session.indexOf(vote.option);
    if (option < 0)
        return false;
    if (m_rule.policy != VotePolicy::LastWins) {
        judge(vote); // needs no look-ahead: judging is counting
        return true;
    }
    ++m_raw[std::size_t(option)];
    VoterState &voter = m_voters[vote.voter.toByteArray()];
    ++voter.votes;
    if (voter.ballot >= 0)
        --m_exact[std::size_t(voter.ballot)];
    voter.ballot = option;
    ++m_exact[std::size_t(option)];
    return true;
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
