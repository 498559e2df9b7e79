#pragma once

#include <memory>
#include <mutex>

#include "metrics/rejectreason.h"
#include "session/sessiondefinition.h"
#include "session/votingwindow.h"

// What the edge (I/O threads) needs to know about the current session: its definition for
// validation, its window for the public session endpoint, and where to count rejections.
// Immutable once published; a change publishes a new one.
struct GateState
{
    SessionDefinition session;
    WindowRecord window;
    std::shared_ptr<RejectCounters> rejects;
};

using GateStatePtr = std::shared_ptr<const GateState>;

// Published by the engine (control thread), read by every I/O thread per request.
// Locking rule: m_mutex guards only the pointer copy; readers keep their copy for the
// request, so a publish never waits for a request and a request never sees half a state.
class IngestGate final
{
public:
    IngestGate();
    void publish(GateStatePtr state);
    GateStatePtr load() const; // never null

private:
    mutable std::mutex m_mutex;
    GateStatePtr m_state;
};
