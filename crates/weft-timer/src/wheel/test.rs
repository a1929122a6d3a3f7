use super::level::slot_for;
use super::*;

/// An entry registered at `when`, as the driver would.
fn insert(wheel: &mut Wheel, when: u64) -> Arc<Entry> {
    let entry = Arc::new(Entry::new(when));
    wheel.insert(entry.clone(), when).expect("in the future");
    entry
}

/// Everything due by `now`, as ticks, in the order the wheel gives them.
fn poll_all(wheel: &mut Wheel, now: u64) -> Vec<u64> {
    std::iter::from_fn(|| wheel.poll(now).map(|e| e.when())).collect()
}

#[test]
fn level_for_follows_the_table() {
    for when in 1..64 {
        assert_eq!(level_for(0, when), 0, "{when}");
    }
    for level in 1..NUM_LEVELS {
        let start = 1u64 << (6 * level);
        assert_eq!(level_for(0, start), level);
        assert_eq!(level_for(0, start * 64 - 1), level);
    }
    // Relative to `elapsed`: the highest differing 6-bit group decides.
    assert_eq!(level_for(100, 101), 0);
    assert_eq!(level_for(63, 64), 1);
    // Beyond the horizon: folded into the top level, never out of range.
    assert_eq!(level_for(0, HORIZON), NUM_LEVELS - 1);
    assert_eq!(level_for(5, u64::MAX >> 2), NUM_LEVELS - 1);
}

#[test]
fn slot_for_takes_the_level_bits() {
    assert_eq!(slot_for(5, 0), 5);
    assert_eq!(slot_for(64 + 5, 0), 5);
    assert_eq!(slot_for(3 * 64, 1), 3);
    assert_eq!(slot_for(7 << 30, 5), 7);
}

#[test]
fn insert_rejects_reached_ticks() {
    let mut wheel = Wheel::new();
    let entry = Arc::new(Entry::new(0));
    assert!(wheel.insert(entry, 0).is_err());
    assert_eq!(wheel.len(), 0);
}

#[test]
fn next_expiration_is_the_slot_start() {
    let mut wheel = Wheel::new();
    let _a = insert(&mut wheel, 100); // level 1, slot 1: [64, 128)
    assert_eq!(wheel.occupied(1), 1 << 1);
    let exp = wheel.next_expiration().unwrap();
    assert_eq!((exp.level, exp.slot, exp.deadline), (1, 1, 64));

    // Cascading at 64 moves it to level 0, exact.
    assert_eq!(poll_all(&mut wheel, 64), Vec::<u64>::new());
    assert_eq!(wheel.elapsed(), 64);
    assert_eq!(wheel.next_expiration().unwrap().deadline, 100);
    assert_eq!(poll_all(&mut wheel, 99), Vec::<u64>::new());
    assert_eq!(poll_all(&mut wheel, 100), vec![100]);
    assert_eq!(wheel.len(), 0);
    assert!(wheel.next_expiration().is_none());
}

#[test]
fn entries_come_out_in_deadline_order() {
    let mut wheel = Wheel::new();
    let mut ticks: Vec<u64> = (0..500u64)
        .map(|i| 1 + (i * 7919) % 300_000) // levels 0 to 3
        .collect();
    let _entries: Vec<_> = ticks.iter().map(|&t| insert(&mut wheel, t)).collect();
    assert_eq!(wheel.len(), 500);
    let fired = poll_all(&mut wheel, 1_000_000);
    ticks.sort_unstable();
    assert_eq!(fired, ticks);
    assert_eq!(wheel.len(), 0);
}

#[test]
fn a_poll_stops_at_now() {
    let mut wheel = Wheel::new();
    let _e: Vec<_> = [10, 20, 30, 200, 5000]
        .iter()
        .map(|&t| insert(&mut wheel, t))
        .collect();
    assert_eq!(poll_all(&mut wheel, 19), vec![10]);
    assert_eq!(poll_all(&mut wheel, 200), vec![20, 30, 200]);
    assert_eq!(wheel.elapsed(), 200);
    assert_eq!(poll_all(&mut wheel, 4999), Vec::<u64>::new());
    assert_eq!(poll_all(&mut wheel, 5000), vec![5000]);
}

#[test]
fn remove_from_any_level() {
    let mut wheel = Wheel::new();
    let entries: Vec<_> = [5, 100, 10_000, 1 << 20, 1 << 26, 1 << 33, 1 << 40]
        .iter()
        .map(|&t| insert(&mut wheel, t))
        .collect();
    assert_eq!(wheel.len(), entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let back = wheel.remove(entry).expect("linked");
        assert!(Arc::ptr_eq(&back, entry));
        assert_eq!(entry.place(), Place::Unlinked);
        assert!(wheel.remove(entry).is_none(), "only once");
        assert_eq!(wheel.len(), entries.len() - i - 1);
        // The list gave its reference back: the test's and `back` remain.
        assert_eq!(Arc::strong_count(entry), 2);
    }
    assert!(wheel.next_expiration().is_none());
    for level in 0..NUM_LEVELS {
        assert_eq!(wheel.occupied(level), 0);
    }
}

#[test]
fn beyond_the_horizon_is_refiled_until_due() {
    let mut wheel = Wheel::new();
    let when = 3 * HORIZON + 12_345;
    let _far = insert(&mut wheel, when);
    let mut polls = 0;
    let mut now = 0;
    loop {
        let exp = wheel.next_expiration().unwrap();
        assert!(exp.deadline <= when, "never past the deadline");
        assert!(exp.deadline > now || exp.deadline == when);
        now = exp.deadline;
        let fired = poll_all(&mut wheel, now);
        polls += 1;
        if !fired.is_empty() {
            assert_eq!(fired, vec![when]);
            break;
        }
        assert!(polls < 1000, "the wheel must converge");
    }
    assert_eq!(now, when);
}

#[test]
fn jump_cascades_to_the_exact_deadline() {
    let mut wheel = Wheel::new();
    let _a = insert(&mut wheel, 1_000_000);
    let _b = insert(&mut wheel, 1_000_007);
    assert!(wheel.next_expiration().unwrap().deadline < 1_000_000);
    assert_eq!(wheel.jump(), Some(1_000_000));
    assert_eq!(poll_all(&mut wheel, 1_000_000), vec![1_000_000]);
    assert_eq!(wheel.jump(), Some(1_000_007));
    assert_eq!(poll_all(&mut wheel, 1_000_007), vec![1_000_007]);
    assert_eq!(wheel.jump(), None);
}

#[test]
fn never_entries_stay_out_of_the_levels() {
    let mut wheel = Wheel::new();
    let never = insert(&mut wheel, NEVER);
    assert_eq!(never.place(), Place::Never);
    assert_eq!(wheel.len(), 1);
    assert_eq!(wheel.next_expiration(), None);
    assert_eq!(wheel.jump(), None);
    assert_eq!(wheel.elapsed(), 0, "no cascade towards it");
    assert_eq!(poll_all(&mut wheel, NEVER - 1), Vec::<u64>::new());
    assert!(wheel.remove(&never).is_some());
    let _again = insert(&mut wheel, NEVER);
    assert!(wheel.pop_any().is_some(), "shutdown takes it");
    assert_eq!(wheel.len(), 0);
}

#[test]
fn pop_any_drains_everything() {
    let mut wheel = Wheel::new();
    let _e: Vec<_> = (1..200u64).map(|t| insert(&mut wheel, t * 997)).collect();
    let mut n = 0;
    while wheel.pop_any().is_some() {
        n += 1;
    }
    assert_eq!(n, 199);
    assert_eq!(wheel.len(), 0);
    assert!(wheel.next_expiration().is_none());
}

#[test]
fn a_dropped_wheel_gives_its_references_back() {
    let mut wheel = Wheel::new();
    let e = insert(&mut wheel, 1 << 20);
    assert_eq!(Arc::strong_count(&e), 2);
    drop(wheel);
    assert_eq!(Arc::strong_count(&e), 1);
}
