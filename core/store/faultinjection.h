#pragma once

#include <QByteArray>

// Test hooks for the fault tests (README, "Guarantees"): crashes at chosen points of the write
// path, and storage that fails the way a full or read-only file system does. Nothing here acts
// unless a test arms it, and nothing is on the per-vote path: the journal writer looks at its
// crash plan once per group commit, and the SQLite VFS below is only put in place when a test
// asks for it (otherwise SQLite talks to its own default VFS, untouched).
//
// Why a VFS and not the real thing: the tests run as root (permissions stop nothing), a
// read-only remount is refused while the database is open for writing, and mounting a small
// tmpfs is not possible everywhere. A VFS sits exactly where the operating system's answers
// reach SQLite, so SQLite and the journal writer see the same errors a full disk (ENOSPC ->
// SQLITE_FULL) or a read-only file system (EROFS -> SQLITE_IOERR_WRITE) produces, at the same
// calls. tests/faults also has a real size-limited tmpfs test where mounting is allowed.
namespace FaultInjection {

// --- Storage faults, switched at run time by in-process tests ---------------------------------

// Puts a pass-through VFS in front of SQLite's default one and makes it the default. Call it
// before the store opens (a connection keeps the VFS it was opened with). Idempotent.
void installFaultyStorage();

enum class StorageFault
{
    None = 1,
    Full,     // a write that would grow a file fails with SQLITE_FULL; rewrites in place succeed
    ReadOnly, // every write and truncate fails with an I/O error, as on EROFS
};
void setStorageFault(StorageFault fault);
// While set, writes to a write-ahead log wait (on the writer thread) until it is cleared: a
// commit that takes as long as the test wants, to fill the pipeline deterministically.
void setWalWritesStalled(bool stalled);

// --- Crashes, armed through the environment of a votedesk process -----------------------------

// VOTEDESK_TEST_CRASH=<point>[:<n>], read once when a journal writer is created:
//   before-commit:N  the writer dies as it is about to commit its Nth group of votes (counted,
//                    admitted, none stored or answered);
//   after-commit:N   it dies right after its Nth group commit returned, before any of that
//                    group's 202s is sent (stored, none answered);
//   checkpoint:N     SQLite checkpoints every 64 WAL pages instead of 20000, and the process
//                    dies at the Nth page written back into the database file, i.e. in the
//                    middle of a checkpoint;
//   closing          on a clean stop, after the last commit, the process dies in the middle of
//                    the checkpoint SQLite runs when the store closes (or right after the close
//                    if there was nothing to checkpoint).
// "Dies" is SIGKILL to itself after one line on stderr ("votedesk: test crash: ..."), so it is
// exactly what `kill -9` does: no destructor, no flush, no atexit.
enum class CrashPoint
{
    None = 0,
    BeforeCommit,
    AfterCommit,
    Checkpoint,
    Closing,
};

struct CrashPlan
{
    CrashPoint point = CrashPoint::None;
    int count = 1;
};

// Parses VOTEDESK_TEST_CRASH (an unknown value is reported on stderr and ignored) and installs
// the VFS when the point needs it.
CrashPlan crashPlanFromEnvironment();
CrashPlan parseCrashPlan(const QByteArray &text, bool *ok);

// The WAL auto-checkpoint the store should use: 0 = its own setting.
int walAutocheckpointPages();
// The journal writer is about to close the store (CrashPoint::Closing).
void enterClosing();
[[noreturn]] void crash(const char *where);

} // namespace FaultInjection
