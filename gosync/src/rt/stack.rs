//! Goroutine stacks: fixed-size, with a guard page, pooled.
//!
//! A stack is an `mmap` reservation (corosensei's `DefaultStack`): the OS
//! backs its pages only as they are first touched, so an idle goroutine
//! costs the few pages its frames use, not the whole size. Below the stack
//! sits a guard page; running into it is a stack overflow, which
//! [`install_overflow_handler`] turns into a message and an abort instead of
//! a silent crash or corruption.
//!
//! Each worker keeps a small pool of finished goroutines' stacks, so that
//! spawning does not map and unmap memory every time.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use corosensei::stack::{DefaultStack, Stack};

/// The default stack size: enough for ordinary Rust (formatting,
/// collections, a captured backtrace), far less than a thread's 8 MiB.
pub(crate) const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// The smallest size accepted: below it even a `println!` can overflow.
const MIN_STACK_SIZE: usize = 16 * 1024;

/// 0 until first read: then the size every new stack gets.
static STACK_SIZE: AtomicUsize = AtomicUsize::new(0);

/// Stacks a worker keeps for reuse; more are unmapped when freed.
const POOL_MAX: usize = 64;

thread_local! {
    static POOL: RefCell<Vec<DefaultStack>> = const { RefCell::new(Vec::new()) };
    /// The guard page range of the goroutine running on this thread, for
    /// the overflow handler: `(low, high)`, or `(0, 0)` outside goroutines.
    static GUARD: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// The id of that goroutine, for the overflow message.
    static GOROUTINE: Cell<u64> = const { Cell::new(0) };
}

/// The stack size for new goroutines: `GOSYNC_STACK_SIZE` (bytes, with an
/// optional `k`/`m` suffix) if set, else [`DEFAULT_STACK_SIZE`].
pub(crate) fn stack_size() -> usize {
    match STACK_SIZE.load(Ordering::Relaxed) {
        0 => {
            let n = std::env::var("GOSYNC_STACK_SIZE")
                .ok()
                .and_then(|v| parse_size(&v))
                .unwrap_or(DEFAULT_STACK_SIZE)
                .max(MIN_STACK_SIZE);
            match STACK_SIZE.compare_exchange(0, n, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => n,
                Err(set) => set,
            }
        }
        n => n,
    }
}

/// Sets the size of stacks made from now on (at least 16 KiB); returns the
/// previous setting.
pub(crate) fn set_stack_size(bytes: usize) -> usize {
    let prev = stack_size();
    STACK_SIZE.store(bytes.max(MIN_STACK_SIZE), Ordering::Relaxed);
    prev
}

fn parse_size(v: &str) -> Option<usize> {
    let v = v.trim().to_ascii_lowercase();
    let (digits, unit) = match v.strip_suffix('k') {
        Some(d) => (d, 1024),
        None => match v.strip_suffix('m') {
            Some(d) => (d, 1024 * 1024),
            None => (v.as_str(), 1),
        },
    };
    digits.trim().parse::<usize>().ok()?.checked_mul(unit)
}

/// Stacks mapped now (in use or pooled).
static MAPPED: AtomicUsize = AtomicUsize::new(0);

/// 0 until first read: then how many stacks may be mapped at once.
static LIMIT: AtomicUsize = AtomicUsize::new(0);

/// How many stacks may be mapped at once. Each stack is two memory
/// mappings (the stack and its guard page), and Linux caps a process's
/// mappings at `vm.max_map_count` (usually 65530): half of it, less a
/// margin for everything else the process maps.
fn limit() -> usize {
    match LIMIT.load(Ordering::Relaxed) {
        0 => {
            let max_maps = std::fs::read_to_string("/proc/sys/vm/max_map_count")
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(usize::MAX);
            let n = (max_maps.saturating_sub(4096) / 2).max(1024);
            LIMIT.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// Whether [`try_take`] would succeed on this worker now.
pub(crate) fn can_take() -> bool {
    MAPPED.load(Ordering::Relaxed) < limit() || POOL.with(|p| !p.borrow().is_empty())
}

/// Whether every stack the process may map is mapped: goroutines not yet
/// started wait for one to be freed.
pub(crate) fn exhausted() -> bool {
    MAPPED.load(Ordering::Relaxed) >= limit()
}

/// A stack from this worker's pool, or a new one; `None` when the process
/// has as many stacks mapped as it may ([`limit`]): the goroutine waits
/// to start until another finishes. Panics if the OS refuses a mapping.
pub(crate) fn try_take() -> Option<DefaultStack> {
    let size = stack_size();
    while let Some(s) = POOL.with(|p| p.borrow_mut().pop()) {
        if s.base().get() - s.limit().get() >= size {
            return Some(s);
        }
        // Made before the size was raised: unmap it.
        MAPPED.fetch_sub(1, Ordering::Relaxed);
    }
    if MAPPED.fetch_add(1, Ordering::Relaxed) >= limit() {
        MAPPED.fetch_sub(1, Ordering::Relaxed);
        return None;
    }
    Some(
        DefaultStack::new(size)
            .unwrap_or_else(|e| panic!("gosync: cannot map a {size}-byte goroutine stack: {e}")),
    )
}

/// Returns a finished goroutine's stack to this worker's pool.
pub(crate) fn give_back(stack: DefaultStack) {
    let kept = POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < POOL_MAX {
            p.push(stack);
            true
        } else {
            false
        }
    });
    if !kept {
        MAPPED.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The guard page below `stack`: `(low, high)`.
pub(crate) fn guard_of(stack: &DefaultStack) -> (usize, usize) {
    // corosensei's limit is the start of the mapping, whose first page is
    // the guard.
    let low = stack.limit().get();
    (low, low + page_size())
}

/// Records which goroutine this thread is about to run and its guard page,
/// for the overflow handler; `(0, (0, 0))` when it goes back to the
/// scheduler.
pub(crate) fn entering(id: u64, guard: (usize, usize)) {
    GOROUTINE.with(|g| g.set(id));
    GUARD.with(|g| g.set(guard));
}

fn page_size() -> usize {
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    match PAGE.load(Ordering::Relaxed) {
        0 => {
            // SAFETY: sysconf has no preconditions.
            let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
            PAGE.store(p, Ordering::Relaxed);
            p
        }
        p => p,
    }
}

/// Installs (once) a SIGSEGV/SIGBUS handler that recognises a goroutine
/// running into its guard page, prints which goroutine overflowed its stack
/// and how to get a bigger one, and aborts. Any other fault goes on to the
/// handler that was there before (std's, which reports thread stack
/// overflows), or to the default action.
pub(crate) fn install_overflow_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        page_size();
        for (sig, slot) in [(libc::SIGSEGV, &PREV_SEGV), (libc::SIGBUS, &PREV_BUS)] {
            // SAFETY: a zeroed sigaction is a valid value to fill in;
            // `handler` has the SA_SIGINFO signature; the previous action
            // is saved where the handler reads it.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut prev) == 0 {
                    *slot.0.get() = Some(prev);
                }
            }
        }
    });
}

/// Gives the calling thread (a scheduler worker) an alternate signal stack
/// unless it has one: the overflow handler cannot run on the stack that
/// overflowed. std gives its threads one only in some configurations.
pub(crate) fn ensure_signal_stack() {
    const SIZE: usize = 64 * 1024;
    // SAFETY: querying the current alternate stack has no preconditions.
    unsafe {
        let mut old: libc::stack_t = std::mem::zeroed();
        if libc::sigaltstack(std::ptr::null(), &mut old) == 0
            && old.ss_flags & libc::SS_DISABLE == 0
        {
            return;
        }
    }
    // SAFETY: a fresh private anonymous mapping, checked for failure; it is
    // never unmapped, as the worker thread never ends.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return;
        }
        let st = libc::stack_t {
            ss_sp: p,
            ss_flags: 0,
            ss_size: SIZE,
        };
        libc::sigaltstack(&st, std::ptr::null_mut());
    }
}

/// A previous signal action, written once before the handler can run.
struct Prev(std::cell::UnsafeCell<Option<libc::sigaction>>);
// SAFETY: written once under `ONCE` before our handler is installed, then
// only read.
unsafe impl Sync for Prev {}
static PREV_SEGV: Prev = Prev(std::cell::UnsafeCell::new(None));
static PREV_BUS: Prev = Prev(std::cell::UnsafeCell::new(None));

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    let (low, high) = GUARD.with(|g| g.get());
    if low <= addr && addr < high {
        let id = GOROUTINE.with(|g| g.get());
        let mut msg = [0u8; 256];
        let n = overflow_message(&mut msg, id, stack_size());
        // SAFETY: write(2) and abort(3) are async-signal-safe; `msg[..n]`
        // is initialised.
        unsafe {
            libc::write(2, msg.as_ptr().cast(), n);
            libc::abort();
        }
    }
    let prev = if sig == libc::SIGSEGV {
        &PREV_SEGV
    } else {
        &PREV_BUS
    };
    // SAFETY: written once before this handler was installed.
    match unsafe { *prev.0.get() } {
        Some(p) if p.sa_sigaction != libc::SIG_DFL && p.sa_sigaction != libc::SIG_IGN => {
            if p.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: the previous handler was installed with this
                // signature (SA_SIGINFO).
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(p.sa_sigaction) };
                f(sig, info, ctx);
            } else {
                // SAFETY: as above, the one-argument form.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(p.sa_sigaction) };
                f(sig);
            }
        }
        _ => {
            // Default action: reset it and return, so the fault recurs and
            // kills the process as it would have without us.
            // SAFETY: resetting a signal's disposition is async-signal-safe.
            unsafe {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
    }
}

/// Formats the overflow report without allocating (we are in a signal
/// handler), returning its length.
fn overflow_message(buf: &mut [u8], id: u64, size: usize) -> usize {
    let mut n = 0;
    let mut put = |s: &[u8]| {
        let k = s.len().min(buf.len() - n);
        buf[n..n + k].copy_from_slice(&s[..k]);
        n += k;
    };
    put(b"\ngoroutine ");
    put(digits(id, &mut [0; 20]));
    put(b" has overflowed its stack (");
    put(digits(size as u64 / 1024, &mut [0; 20]));
    put(b" KiB; set GOSYNC_STACK_SIZE for a bigger one)\nfatal error: stack overflow\n");
    n
}

fn digits(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("65536"), Some(65536));
        assert_eq!(parse_size("64k"), Some(65536));
        assert_eq!(parse_size(" 2M "), Some(2 << 20));
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn overflow_message_names_the_goroutine() {
        let mut buf = [0u8; 256];
        let n = overflow_message(&mut buf, 42, 256 * 1024);
        let s = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(
            s.contains("goroutine 42 has overflowed its stack (256 KiB"),
            "{s}"
        );
    }
}
