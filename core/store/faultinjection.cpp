#include "store/faultinjection.h"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sqlite3.h>
#include <unistd.h>

#include <QtGlobal>

namespace FaultInjection {

namespace {

// Small enough that a test of a few thousand votes checkpoints many times.
constexpr int kCrashTestCheckpointPages = 64;

std::atomic<int> g_fault{int(StorageFault::None)};

std::mutex g_stallMutex;
std::condition_variable g_stallChanged;
bool g_stalled = false;                // guarded by g_stallMutex
std::atomic<bool> g_stallArmed{false}; // a lock-free look first: writes rarely stall

std::atomic<int> g_autocheckpointPages{0};
std::atomic<bool> g_checkpointCrashArmed{false};
std::atomic<int> g_mainDbWritesBeforeCrash{0};
std::atomic<bool> g_countingMainDbWrites{false};
std::atomic<bool> g_closing{false};

// The VFS: a pass-through in front of SQLite's default one. Each open file is our header
// followed by the real VFS's file object in the same allocation (szOsFile covers both).
sqlite3_vfs *g_real = nullptr;
sqlite3_vfs g_vfs;
std::once_flag g_installed;

struct File
{
    sqlite3_file base;
    int openFlags;
    sqlite3_file *real() { return reinterpret_cast<sqlite3_file *>(this + 1); }
};

File *asFile(sqlite3_file *file)
{
    return reinterpret_cast<File *>(file);
}

sqlite3_file *realOf(sqlite3_file *file)
{
    return asFile(file)->real();
}

void waitWhileStalled()
{
    if (!g_stallArmed.load(std::memory_order_acquire))
        return;
    std::unique_lock lock(g_stallMutex);
    g_stallChanged.wait(lock, [] { return !g_stalled; });
}

// In WAL mode the database file itself is written only by checkpoints (and once when a new
// database is set up, before the store asks for its checkpoint setting: not counted).
void beforeMainDbWrite()
{
    if (g_closing.load(std::memory_order_relaxed))
        crash("closing: in the middle of the checkpoint at close");
    if (g_checkpointCrashArmed.load(std::memory_order_relaxed) &&
        g_countingMainDbWrites.load(std::memory_order_relaxed) &&
        g_mainDbWritesBeforeCrash.fetch_sub(1, std::memory_order_relaxed) == 1) {
        crash("in the middle of a checkpoint");
    }
}

int fileClose(sqlite3_file *file)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods ? real->pMethods->xClose(real) : SQLITE_OK;
}

int fileRead(sqlite3_file *file, void *buffer, int amount, sqlite3_int64 offset)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xRead(real, buffer, amount, offset);
}

int fileWrite(sqlite3_file *file, const void *buffer, int amount, sqlite3_int64 offset)
{
    sqlite3_file *real = realOf(file);
    const int flags = asFile(file)->openFlags;
    if (flags & SQLITE_OPEN_MAIN_DB)
        beforeMainDbWrite();
    if (flags & SQLITE_OPEN_WAL)
        waitWhileStalled();
    switch (StorageFault(g_fault.load(std::memory_order_relaxed))) {
    case StorageFault::None:
        break;
    case StorageFault::ReadOnly:
        return SQLITE_IOERR_WRITE; // what the unix VFS makes of EROFS
    case StorageFault::Full: {
        // A full disk still lets a file be rewritten where it has blocks; growing it fails
        // with ENOSPC, which the unix VFS reports as SQLITE_FULL.
        sqlite3_int64 size = 0;
        if (real->pMethods->xFileSize(real, &size) != SQLITE_OK || offset + amount > size)
            return SQLITE_FULL;
        break;
    }
    }
    return real->pMethods->xWrite(real, buffer, amount, offset);
}

int fileTruncate(sqlite3_file *file, sqlite3_int64 size)
{
    if (StorageFault(g_fault.load(std::memory_order_relaxed)) == StorageFault::ReadOnly)
        return SQLITE_IOERR_TRUNCATE;
    sqlite3_file *real = realOf(file);
    return real->pMethods->xTruncate(real, size);
}

int fileSync(sqlite3_file *file, int flags)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xSync(real, flags);
}

int fileSize(sqlite3_file *file, sqlite3_int64 *size)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xFileSize(real, size);
}

int fileLock(sqlite3_file *file, int level)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xLock(real, level);
}

int fileUnlock(sqlite3_file *file, int level)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xUnlock(real, level);
}

int fileCheckReservedLock(sqlite3_file *file, int *reserved)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xCheckReservedLock(real, reserved);
}

int fileControl(sqlite3_file *file, int op, void *arg)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xFileControl(real, op, arg);
}

int fileSectorSize(sqlite3_file *file)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xSectorSize(real);
}

int fileDeviceCharacteristics(sqlite3_file *file)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xDeviceCharacteristics(real);
}

int fileShmMap(sqlite3_file *file, int page, int pageSize, int extend, void volatile **out)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xShmMap(real, page, pageSize, extend, out);
}

int fileShmLock(sqlite3_file *file, int offset, int n, int flags)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xShmLock(real, offset, n, flags);
}

void fileShmBarrier(sqlite3_file *file)
{
    sqlite3_file *real = realOf(file);
    real->pMethods->xShmBarrier(real);
}

int fileShmUnmap(sqlite3_file *file, int deleteFlag)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xShmUnmap(real, deleteFlag);
}

int fileFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xFetch(real, offset, amount, out);
}

int fileUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page)
{
    sqlite3_file *real = realOf(file);
    return real->pMethods->xUnfetch(real, offset, page);
}

const sqlite3_io_methods g_methods = {
    3,
    fileClose,
    fileRead,
    fileWrite,
    fileTruncate,
    fileSync,
    fileSize,
    fileLock,
    fileUnlock,
    fileCheckReservedLock,
    fileControl,
    fileSectorSize,
    fileDeviceCharacteristics,
    fileShmMap,
    fileShmLock,
    fileShmBarrier,
    fileShmUnmap,
    fileFetch,
    fileUnfetch,
};

int vfsOpen(sqlite3_vfs *, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags)
{
    File *ours = asFile(file);
    ours->base.pMethods = nullptr;
    ours->openFlags = flags;
    ours->real()->pMethods = nullptr;
    const int rc = g_real->xOpen(g_real, name, ours->real(), flags, outFlags);
    // SQLite calls xClose whenever pMethods is set, even after a failed open; mirror the
    // real file so that its close is forwarded exactly when it is due.
    if (ours->real()->pMethods)
        ours->base.pMethods = &g_methods;
    return rc;
}

int vfsDelete(sqlite3_vfs *, const char *name, int syncDir)
{
    if (StorageFault(g_fault.load(std::memory_order_relaxed)) == StorageFault::ReadOnly)
        return SQLITE_IOERR_DELETE;
    return g_real->xDelete(g_real, name, syncDir);
}

int vfsAccess(sqlite3_vfs *, const char *name, int flags, int *result)
{
    return g_real->xAccess(g_real, name, flags, result);
}

int vfsFullPathname(sqlite3_vfs *, const char *name, int size, char *out)
{
    return g_real->xFullPathname(g_real, name, size, out);
}

void install()
{
    g_real = sqlite3_vfs_find(nullptr);
    Q_ASSERT(g_real && g_real->iVersion >= 3);
    g_vfs = *g_real; // the dynamic loading, randomness, time and system call entries as they are
    g_vfs.szOsFile = int(sizeof(File)) + g_real->szOsFile;
    g_vfs.zName = "votedesk-faults";
    g_vfs.pNext = nullptr;
    g_vfs.xOpen = vfsOpen;
    g_vfs.xDelete = vfsDelete;
    g_vfs.xAccess = vfsAccess;
    g_vfs.xFullPathname = vfsFullPathname;
    sqlite3_vfs_register(&g_vfs, 1);
}

} // namespace

void installFaultyStorage()
{
    std::call_once(g_installed, install);
}

void setStorageFault(StorageFault fault)
{
    g_fault.store(int(fault), std::memory_order_relaxed);
}

void setWalWritesStalled(bool stalled)
{
    {
        const std::lock_guard lock(g_stallMutex);
        g_stalled = stalled;
        if (stalled)
            g_stallArmed.store(true, std::memory_order_release);
    }
    g_stallChanged.notify_all();
}

CrashPlan parseCrashPlan(const QByteArray &text, bool *ok)
{
    *ok = true;
    CrashPlan plan;
    if (text.isEmpty())
        return plan;
    const qsizetype colon = text.indexOf(':');
    const QByteArray name = colon < 0 ? text : text.first(colon);
    if (colon >= 0) {
        bool numberOk = false;
        plan.count = text.sliced(colon + 1).toInt(&numberOk);
        if (!numberOk || plan.count < 1) {
            *ok = false;
            return {};
        }
    }
    if (name == "before-commit")
        plan.point = CrashPoint::BeforeCommit;
    else if (name == "after-commit")
        plan.point = CrashPoint::AfterCommit;
    else if (name == "checkpoint")
        plan.point = CrashPoint::Checkpoint;
    else if (name == "closing" && colon < 0)
        plan.point = CrashPoint::Closing;
    else
        *ok = false;
    return *ok ? plan : CrashPlan();
}

CrashPlan crashPlanFromEnvironment()
{
    const QByteArray text = qgetenv("VOTEDESK_TEST_CRASH");
    bool ok = false;
    const CrashPlan plan = parseCrashPlan(text, &ok);
    if (!ok) {
        std::fprintf(stderr,
                     "votedesk: ignoring VOTEDESK_TEST_CRASH=%s (before-commit:N, after-commit:N, "
                     "checkpoint:N or closing)\n",
                     text.constData());
        return {};
    }
    if (plan.point == CrashPoint::Checkpoint || plan.point == CrashPoint::Closing)
        installFaultyStorage();
    if (plan.point == CrashPoint::Checkpoint) {
        g_autocheckpointPages.store(kCrashTestCheckpointPages, std::memory_order_relaxed);
        g_mainDbWritesBeforeCrash.store(plan.count, std::memory_order_relaxed);
        g_checkpointCrashArmed.store(true, std::memory_order_relaxed);
    }
    if (plan.point != CrashPoint::None)
        std::fprintf(stderr, "votedesk: test crash armed: %s\n", text.constData());
    return plan;
}

int walAutocheckpointPages()
{
    // The store asks once it is in WAL mode: from here on the database file is written by
    // checkpoints only, so the checkpoint crash point starts counting.
    g_countingMainDbWrites.store(true, std::memory_order_relaxed);
    return g_autocheckpointPages.load(std::memory_order_relaxed);
}

void enterClosing()
{
    g_closing.store(true, std::memory_order_relaxed);
}

void crash(const char *where)
{
    std::fprintf(stderr, "votedesk: test crash: %s\n", where);
    std::fflush(stderr);
    ::kill(::getpid(), SIGKILL);
    std::abort(); // not reached: SIGKILL cannot be caught
}

} // namespace FaultInjection
