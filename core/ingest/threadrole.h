#pragma once

// Pipeline threads that are woken by the I/O threads (workers, the journal writer) run under
// Linux's SCHED_BATCH policy: same share of the CPU, but a wake-up does not preempt the
// thread that caused it. On a shared core an I/O thread then finishes its round of requests
// before the worker or writer runs, and they find the whole round to batch instead of one
// vote per wake-up. Needs no privileges; a no-op elsewhere. Also names the thread for `top`.
void becomeBackgroundPipelineThread(const char *name);
