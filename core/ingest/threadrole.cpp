#include "ingest/threadrole.h"

#ifdef Q_OS_LINUX
#include <pthread.h>
#include <sched.h>
#endif

#include <QtGlobal>

void becomeBackgroundPipelineThread(const char *name)
{
#ifdef Q_OS_LINUX
    sched_param param{};
    param.sched_priority = 0;
    if (sched_setscheduler(0, SCHED_BATCH, &param) != 0)
        qWarning("votedesk: cannot switch the %s thread to SCHED_BATCH", name);
    pthread_setname_np(pthread_self(), name); // at most 15 characters
#else
    Q_UNUSED(name);
#endif
}
