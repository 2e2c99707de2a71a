//! The read/dirty protocol of `Map`, seen from inside: promotion after
//! misses, expunging and unexpunging, and the happens-before events.

use super::*;

/// The map's state: (snapshot keys, snapshot amended, dirty keys), each
/// key list sorted; `None` for an absent snapshot or dirty table.
type State = (Option<(Vec<u32>, bool)>, Option<Vec<u32>>);

fn state(m: &Map<u32, u32>) -> State {
    let guard = epoch::pin();
    let read = m.snapshot(&guard).map(|r| {
        let mut keys: Vec<u32> = r.table.iter().map(|e| e.key).collect();
        keys.sort_unstable();
        (keys, r.amended())
    });
    let dirty = m.dirty.lock().table.as_ref().map(|t| {
        let mut keys: Vec<u32> = t.iter().map(|e| e.key).collect();
        keys.sort_unstable();
        keys
    });
    (read, dirty)
}

fn is_expunged(m: &Map<u32, u32>, key: u32) -> bool {
    let guard = epoch::pin();
    m.snapshot(&guard)
        .and_then(|r| r.get(&key))
        .is_some_and(|e| e.is_expunged())
}

#[test]
fn new_keys_go_to_the_dirty_table_until_misses_promote_it() {
    let m = Map::new();
    assert_eq!(state(&m), (None, None));
    for k in 0..3 {
        m.store(k, k);
    }
    assert_eq!(state(&m), (Some((vec![], true)), Some(vec![0, 1, 2])));
    // Each load misses the snapshot; the third pays for the copy.
    assert_eq!(m.load(&0), Some(0));
    assert_eq!(m.load(&1), Some(1));
    assert_eq!(state(&m).1, Some(vec![0, 1, 2]));
    assert_eq!(m.load(&2), Some(2));
    assert_eq!(state(&m), (Some((vec![0, 1, 2], false)), None));
    // Keys of the snapshot are updated in place: no dirty table.
    m.store(1, 10);
    m.delete(&2);
    assert_eq!(state(&m), (Some((vec![0, 1, 2], false)), None));
    assert_eq!(m.load(&1), Some(10));
    assert_eq!(m.load(&2), None);
}

#[test]
fn a_new_dirty_table_leaves_deleted_keys_expunged() {
    let m = Map::new();
    for k in 0..3 {
        m.store(k, k);
    }
    m.range(|_, _| true); // promotes
    m.delete(&1);
    m.store(3, 3); // copies the snapshot, expunging 1
    assert_eq!(
        state(&m),
        (Some((vec![0, 1, 2], true)), Some(vec![0, 2, 3]))
    );
    assert!(is_expunged(&m, 1));
    assert_eq!(m.load(&1), None);
    assert!(!m.compare_and_swap(&1, &1, 5));

    // Storing it again puts it back in the dirty table.
    assert_eq!(m.load_or_store(1, 11), (11, false));
    assert!(!is_expunged(&m, 1));
    assert_eq!(state(&m).1, Some(vec![0, 1, 2, 3]));
    assert_eq!(m.load(&1), Some(11));

    m.delete(&2);
    m.range(|_, _| true); // promotes the dirty table, deleted 2 included
    assert_eq!(state(&m), (Some((vec![0, 1, 2, 3], false)), None));
    m.store(4, 4);
    m.swap(2, 22);
    assert_eq!(state(&m).1, Some(vec![0, 1, 2, 3, 4]));
    assert_eq!(m.load(&2), Some(22));
}

#[test]
fn load_and_delete_of_a_dirty_key_takes_it_out() {
    let m = Map::new();
    m.store(0, 0);
    m.range(|_, _| true);
    m.store(1, 1);
    m.store(2, 2);
    assert_eq!(m.load_and_delete(&1), Some(1));
    assert_eq!(state(&m), (Some((vec![0], true)), Some(vec![0, 2])));
    // Go's CompareAndDelete leaves the key in the dirty table.
    assert!(m.compare_and_delete(&2, &2));
    assert_eq!(m.load(&2), None);
}

#[test]
fn clear_drops_both_tables() {
    let m = Map::new();
    m.store(0, 0);
    m.range(|_, _| true);
    m.store(1, 1);
    m.clear();
    assert_eq!(state(&m), (None, None));
    m.clear();
    m.store(2, 2);
    assert_eq!(state(&m), (Some((vec![], true)), Some(vec![2])));
}

#[cfg(feature = "race")]
#[test]
fn writes_release_and_reads_acquire_the_entry() {
    use crate::rt::hb::{record, Event};

    let m = Map::new();
    let ((), events) = record(|| m.store(7u32, 1u32));
    m.range(|_, _| true); // promotes: 7 is in the snapshot
    let entry = {
        let guard = epoch::pin();
        let e = m.snapshot(&guard).and_then(|r| r.get(&7)).unwrap();
        Arc::as_ptr(e) as usize
    };
    let on_entry = |events: Vec<Event>| -> Vec<Event> {
        events
            .into_iter()
            .filter(|e| matches!(e, Event::Acquire(a) | Event::Release(a) if *a == entry))
            .collect()
    };

    // The new key's first value is released on the entry too, for readers
    // that find it in a snapshot without the lock.
    assert_eq!(on_entry(events), [Event::Release(entry)]);

    let ((), events) = record(|| m.store(7, 2));
    assert_eq!(
        on_entry(events),
        [Event::Release(entry), Event::Acquire(entry)]
    );
    let (v, events) = record(|| m.load(&7));
    assert_eq!(v, Some(2));
    assert_eq!(on_entry(events), [Event::Acquire(entry)]);
    let ((), events) = record(|| m.delete(&7));
    assert_eq!(
        on_entry(events),
        [Event::Release(entry), Event::Acquire(entry)]
    );
    let (v, events) = record(|| m.load(&7));
    assert_eq!(v, None);
    assert_eq!(on_entry(events), []);
}
