//! One owner pushing and popping while three thieves steal from it (and from each other): every
//! item comes out exactly once, whichever way it went (popped, stolen, overflowed, injected).
#![cfg(not(weft_loom))]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use weft_queue::{local, Inject, Local, Steal};

const N: usize = 200_000;
const THIEVES: usize = 3;

/// An item is boxed, so a duplicated item would also show up as a double free.
type Item = Box<usize>;

/// Records one item (the caller then frees it).
fn see(seen: &mut [u32], item: &usize) {
    seen[*item] += 1;
}

#[test]
fn every_item_is_seen_exactly_once() {
    let inject = Arc::new(Inject::<Item>::new());
    let done = Arc::new(AtomicBool::new(false));
    let (mut owner, owner_steal) = local::<Item>();
    let queues: Vec<(Local<Item>, Steal<Item>)> = (0..THIEVES).map(|_| local()).collect();
    // Every thief may steal from the owner and from the other thieves, so a thief's own queue
    // is sometimes a victim while it is also the destination of a steal.
    let mut victims: Vec<Steal<Item>> = vec![owner_steal];
    victims.extend(queues.iter().map(|(_, s)| s.clone()));
    let victims = Arc::new(victims);
    let start = Arc::new(Barrier::new(THIEVES + 1));

    let thieves: Vec<_> = queues
        .into_iter()
        .enumerate()
        .map(|(me, (mut mine, _))| {
            let (inject, done, victims, start) =
                (inject.clone(), done.clone(), victims.clone(), start.clone());
            thread::spawn(move || {
                let mut seen = vec![0u32; N];
                let mut tick = me;
                start.wait();
                loop {
                    tick = tick.wrapping_add(1);
                    if let Some(item) = mine.pop() {
                        see(&mut seen, &item);
                        continue;
                    }
                    if tick % 7 == 0 {
                        // Every other look refills as a worker does: a batch into `mine`.
                        let popped = if tick % 2 == 0 {
                            inject.pop_batch_into(&mut mine, 5)
                        } else {
                            inject.pop()
                        };
                        if let Some(item) = popped {
                            see(&mut seen, &item);
                            continue;
                        }
                    }
                    let finished = done.load(Ordering::Acquire);
                    let mut stole = false;
                    for k in 0..victims.len() {
                        let victim = (tick + k) % victims.len();
                        if victim == me + 1 {
                            continue;
                        }
                        if let Some(item) = victims[victim].steal_into(&mut mine) {
                            see(&mut seen, &item);
                            stole = true;
                            break;
                        }
                    }
                    // `done` was set after the owner emptied its queue, and items only enter a
                    // queue through its own thread, so once the owner is done and a full round
                    // finds nothing, this thief's queue is empty too.
                    if finished && !stole {
                        assert!(mine.is_empty());
                        return seen;
                    }
                    if !stole {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();

    let mut seen = vec![0u32; N];
    start.wait();
    for i in 0..N {
        owner.push_back(Box::new(i), &inject);
        if i % 3 == 0 {
            if let Some(item) = owner.pop() {
                see(&mut seen, &item);
            }
        }
    }
    while let Some(item) = owner.pop() {
        see(&mut seen, &item);
    }
    done.store(true, Ordering::Release);

    for thief in thieves {
        for (count, got) in seen.iter_mut().zip(thief.join().unwrap()) {
            *count += got;
        }
    }
    while let Some(item) = inject.pop() {
        see(&mut seen, &item);
    }
    let wrong: Vec<(usize, u32)> = seen
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c != 1)
        .map(|(i, &c)| (i, c))
        .take(10)
        .collect();
    assert!(
        wrong.is_empty(),
        "items seen other than once (item, count): {wrong:?}"
    );
}
