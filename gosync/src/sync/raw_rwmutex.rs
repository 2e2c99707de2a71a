//! Go's reader/writer lock algorithm (`sync/rwmutex.go`), without data.

use crate::loom::loom_const_fn;
use crate::loom::sync::atomic::{AtomicI32, Ordering};

use super::raw_mutex::RawMutex;
use crate::rt::{hb, sema::Sema};

/// More readers than this at once is a bug (Go's `rwmutexMaxReaders`).
const MAX_READERS: i32 = 1 << 30;

/// A reader/writer lock with Go's writer preference.
///
/// A writer first takes `w` (so writers queue among themselves), then
/// subtracts `MAX_READERS` from `reader_count`: from that moment the count is
/// negative, and every new reader sees it and sleeps on `reader_sem`. The
/// readers already inside are counted into `reader_wait`; the last of them to
/// leave wakes the writer on `writer_sem`. On unlock the writer adds
/// `MAX_READERS` back and wakes exactly the readers that queued meanwhile.
///
/// | field          | meaning                                                     |
/// |----------------|-------------------------------------------------------------|
/// | `reader_count` | readers inside or waiting; `- MAX_READERS` while a writer holds or waits |
/// | `reader_wait`  | readers still inside that the pending writer waits for      |
///
/// Orderings: every read-modify-write is `AcqRel` (one instruction on x86,
/// as Go's): `reader_count` carries readers' critical sections to the writer
/// and the writer's to later readers; `reader_wait` carries the last
/// departing reader's to the writer. The counts themselves are exact by the
/// atomicity of each RMW, whatever the interleaving.
#[derive(Debug)]
pub(crate) struct RawRwMutex {
    w: RawMutex,
    writer_sem: Sema,
    reader_sem: Sema,
    reader_count: AtomicI32,
    reader_wait: AtomicI32,
}

impl RawRwMutex {
    loom_const_fn! {
        pub(crate) fn new() -> RawRwMutex {
            RawRwMutex {
                w: RawMutex::new(),
                writer_sem: Sema::new(),
                reader_sem: Sema::new(),
                reader_count: AtomicI32::new(0),
                reader_wait: AtomicI32::new(0),
            }
        }
    }

    /// Acquires a read lock; waits while a writer holds or waits for the lock.
    #[inline]
    pub(crate) fn rlock(&self) {
        if self.reader_count.fetch_add(1, Ordering::AcqRel) + 1 < 0 {
            // A writer is pending: wait for it to finish.
            self.reader_sem.acquire_spinning();
        }
        hb::acquire(&self.reader_sem);
    }

    /// Acquires a read lock if no writer holds or waits for it.
    #[inline]
    pub(crate) fn try_rlock(&self) -> bool {
        let mut c = self.reader_count.load(Ordering::Relaxed);
        loop {
            if c < 0 {
                return false;
            }
            match self.reader_count.compare_exchange_weak(
                c,
                c + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    hb::acquire(&self.reader_sem);
                    return true;
                }
                Err(cur) => c = cur,
            }
        }
    }

    /// Releases a read lock.
    ///
    /// # Safety
    ///
    /// The caller holds a read lock.
    #[inline]
    pub(crate) unsafe fn runlock(&self) {
        hb::release_merge(&self.writer_sem);
        let r = self.reader_count.fetch_sub(1, Ordering::AcqRel) - 1;
        if r < 0 {
            self.runlock_slow(r);
        }
    }

    #[cold]
    fn runlock_slow(&self, r: i32) {
        assert!(
            r + 1 != 0 && r + 1 != -MAX_READERS,
            "sync: RUnlock of unlocked RWMutex"
        );
        // A writer is pending; the last reader it waits for wakes it.
        if self.reader_wait.fetch_sub(1, Ordering::AcqRel) - 1 == 0 {
            self.writer_sem.release(false);
        }
    }

    /// Acquires the write lock.
    pub(crate) fn lock(&self) {
        // Resolve competition with other writers first.
        self.w.lock();
        // Announce a pending writer; `r` readers are still inside.
        let r = self.reader_count.fetch_sub(MAX_READERS, Ordering::AcqRel);
        if r != 0 && self.reader_wait.fetch_add(r, Ordering::AcqRel) + r != 0 {
            self.writer_sem.acquire_spinning();
        }
        hb::acquire(&self.reader_sem);
        hb::acquire(&self.writer_sem);
    }

    /// Acquires the write lock if nobody holds the lock in any mode.
    pub(crate) fn try_lock(&self) -> bool {
        if !self.w.try_lock() {
            return false;
        }
        if self
            .reader_count
            .compare_exchange(0, -MAX_READERS, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            // SAFETY: `w` was locked just above.
            unsafe { self.w.unlock() };
            return false;
        }
        hb::acquire(&self.reader_sem);
        hb::acquire(&self.writer_sem);
        true
    }

    /// Releases the write lock.
    ///
    /// # Safety
    ///
    /// The caller holds the write lock.
    pub(crate) unsafe fn unlock(&self) {
        hb::release(&self.reader_sem);
        // Announce to readers that there is no active writer.
        let r = self.reader_count.fetch_add(MAX_READERS, Ordering::AcqRel) + MAX_READERS;
        assert!(r < MAX_READERS, "sync: Unlock of unlocked RWMutex");
        // Wake the readers that queued behind us.
        for _ in 0..r {
            self.reader_sem.release(false);
        }
        // Let other writers proceed.
        // SAFETY: `lock` or `try_lock` locked `w`, and we still hold it.
        unsafe { self.w.unlock() };
    }
}

#[cfg(all(test, not(loom)))]
// These tests drive the lock from plain threads on purpose.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU32};
    use std::sync::Arc;

    /// Once a writer waits, a new reader must wait too, even though only
    /// readers hold the lock (Go's writer preference).
    #[test]
    fn pending_writer_blocks_new_readers() {
        let rw = Arc::new(RawRwMutex::new());
        rw.rlock();
        let wrote = Arc::new(AtomicBool::new(false));
        let writer = {
            let (rw, wrote) = (rw.clone(), wrote.clone());
            std::thread::spawn(move || {
                rw.lock();
                wrote.store(true, Ordering::SeqCst);
                // SAFETY: write-locked just above.
                unsafe { rw.unlock() };
            })
        };
        while rw.reader_count.load(Ordering::SeqCst) >= 0 {
            std::thread::yield_now();
        }
        assert!(
            !rw.try_rlock(),
            "a new reader must not pass a pending writer"
        );
        let reader_saw_write = Arc::new(AtomicU32::new(0));
        let reader = {
            let (rw, wrote, seen) = (rw.clone(), wrote.clone(), reader_saw_write.clone());
            std::thread::spawn(move || {
                rw.rlock();
                seen.store(1 + wrote.load(Ordering::SeqCst) as u32, Ordering::SeqCst);
                // SAFETY: read-locked just above.
                unsafe { rw.runlock() };
            })
        };
        // SAFETY: read-locked at the top.
        unsafe { rw.runlock() };
        writer.join().unwrap();
        reader.join().unwrap();
        assert_eq!(
            reader_saw_write.load(Ordering::SeqCst),
            2,
            "the reader ran after the writer"
        );
        assert_eq!(rw.reader_count.load(Ordering::SeqCst), 0);
    }
}
