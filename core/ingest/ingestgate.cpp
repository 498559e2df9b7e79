#include "ingest/ingestgate.h"

IngestGate::IngestGate()
    : m_state(std::make_shared<const GateState>(GateState{{}, {}, std::make_shared<RejectCounters>()}))
{}

void IngestGate::publish(GateStatePtr state)
{
    std::lock_guard lock(m_mutex);
    m_state = std::move(state);
}

GateStatePtr IngestGate::load() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}
