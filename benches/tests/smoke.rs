//! Every workload, at toy sizes, on all three runtimes: checks the harness end to end (not
//! speed). Ignored by default so `cargo test --workspace` stays fast and never waits on a
//! runtime; run it with `cargo test -p weft-benches --test smoke -- --ignored`.

use weft_benches::harness::{self, Config};
use weft_benches::memory::CountingAlloc;
use weft_benches::rt::Which;
use weft_benches::workloads::{self, Params};

// As in the harness's binary, so that the memory figures count something.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn tiny() -> Config {
    Config {
        workers: 2,
        reps: 2,
        quick: true,
        params: Params {
            spawn_tasks: 500,
            yield_tasks: 10,
            yields: 10,
            ping_pairs: 10,
            ping_rounds: 3,
            chain_depth: 50,
            chain_repeats: 2,
            sleeps: 200,
            sleep_max_ms: 3,
            timeouts: 100,
            producers: 2,
            messages: 200,
            channel_cap: 16,
            mutex_tasks: 5,
            mutex_locks: 20,
            sync_rounds: 50,
            sem_tasks: 30,
            sem_passes: 3,
            sem_permits: 4,
            fan_out: 300,
            tcp_conns: 4,
            tcp_rounds: 5,
            tcp_msg: 64,
            cpu_tasks: 8,
            cpu_steps: 20_000,
            mixed_cpu_tasks: 2,
            mixed_chunks: 5,
            mixed_chunk_steps: 5_000,
            mixed_pairs: 4,
            mixed_rounds: 20,
        },
        queue_ops: 10_000,
        memory_tasks: 1_000,
        waiter_tasks: 500,
        filter: Vec::new(),
    }
}

#[test]
#[ignore = "runs three runtimes; `cargo test -p weft-benches --test smoke -- --ignored`"]
fn every_workload_runs_on_every_runtime() {
    let cfg = tiny();
    for w in workloads::all() {
        let result = harness::run_workload(&w, &cfg);
        for (which, samples) in Which::ALL.iter().zip(&result.samples) {
            match samples {
                Ok(list) => assert_eq!(list.len(), cfg.reps, "{} on {}", w.name, which.name()),
                // Only weft's TCP may be missing, until weft::net exists.
                Err(why) => assert!(
                    w.name == "tcp_echo" && *which == Which::Weft,
                    "{} on {}: {why}",
                    w.name,
                    which.name()
                ),
            }
        }
        assert_eq!(result.floor.is_some(), w.floor.is_some(), "{}", w.name);
        match (&result.extra, w.extra) {
            (Some(Ok(list)), Some(_)) => assert_eq!(list.len(), cfg.reps, "{}", w.name),
            (None, None) => {}
            _ => panic!("{}: the extra pairing did not run as declared", w.name),
        }
        match &result.one_worker {
            Some(lists) => {
                assert!(w.one_worker, "{}", w.name);
                for (which, list) in Which::ALL.iter().zip(lists) {
                    let list = list.as_ref().expect("a one-worker runtime did not run");
                    assert_eq!(
                        list.len(),
                        cfg.reps,
                        "{} on one {} worker",
                        w.name,
                        which.name()
                    );
                }
            }
            None => assert!(!w.one_worker, "{}: no one-worker samples", w.name),
        }
    }
    let queues = harness::run_queues(&cfg);
    assert_eq!(queues.len(), 2);
    let memory = harness::run_memory(&cfg, |_| Ok((1, 2)));
    assert!(memory.bytes_per_task.iter().all(Option::is_some));
    // A task parked on a channel or a semaphore holds at least what an idle one does.
    for waiting in &memory.waiting {
        let waiting = waiting.expect("bytes per waiting task");
        assert!(waiting.idle > 0.0, "{waiting:?}");
        assert!(waiting.recv > waiting.idle, "{waiting:?}");
    }
}
