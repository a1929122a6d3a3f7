//! asyncio's classic producer/consumer over a `Queue`, as in the Python docs' `asyncio.Queue`
//! example (workers taking sleep durations off a queue) and the tutorials' "several producers,
//! several consumers" program:
//!
//! ```python
//! async def producer(name, queue):
//!     for i in range(5):
//!         await asyncio.sleep(random.random() / 100)
//!         await queue.put(f"{name}-job{i}")
//!
//! async def consumer(name, queue):
//!     while True:
//!         job = await queue.get()
//!         await asyncio.sleep(random.random() / 100)   # "process" it
//!         queue.task_done()
//!
//! async def main():
//!     queue = asyncio.Queue(maxsize=4)
//!     consumers = [asyncio.create_task(consumer(n, queue)) for n in range(3)]
//!     await asyncio.gather(*(producer(n, queue) for n in range(3)))
//!     await queue.join()          # every job taken and marked done
//!     for c in consumers:
//!         c.cancel()
//! ```
//!
//! ```text
//! cargo run --example producer_consumer      (about a tenth of a second)
//! ```

use std::time::{Duration, Instant};

use weft::sync::Queue;

const PRODUCERS: u64 = 3;
const CONSUMERS: u64 = 3;
const JOBS_EACH: u64 = 5;

/// A "random-ish" delay of 0 to 9 ms, the same on every run (asyncio's example uses
/// `random.random()`).
fn delay(seed: u64) -> Duration {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    x ^= x >> 29;
    Duration::from_millis(x % 10)
}

async fn producer(id: u64, queue: Queue<String>, start: Instant) {
    for i in 0..JOBS_EACH {
        weft::time::sleep(delay(id * 100 + i)).await;
        let job = format!("p{id}-job{i}");
        queue
            .put(job.clone())
            .await
            .expect("the queue is never closed here");
        println!(
            "{:>6.1?}  producer {id} put {job} (queue holds {})",
            start.elapsed(),
            queue.len()
        );
    }
}

async fn consumer(id: u64, queue: Queue<String>, start: Instant) {
    let mut n = 0;
    loop {
        let job = queue.get().await.expect("the queue is never closed here");
        weft::time::sleep(delay(1_000 + id * 100 + n)).await; // "process" it
        n += 1;
        println!("{:>6.1?}  consumer {id} done with {job}", start.elapsed());
        queue.task_done();
    }
}

fn main() {
    weft::run(async {
        let start = Instant::now();
        let queue = Queue::bounded(4);
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|id| weft::spawn(consumer(id, queue.clone(), start)))
            .collect();
        let producers = (0..PRODUCERS).map(|id| producer(id, queue.clone(), start));
        weft::future::join_all(producers).await;
        println!(
            "{:>6.1?}  all jobs put; waiting for join()",
            start.elapsed()
        );
        queue.join().await;
        println!(
            "{:>6.1?}  join() returned: {} jobs done, {} unfinished",
            start.elapsed(),
            PRODUCERS * JOBS_EACH,
            queue.unfinished_tasks()
        );
        for c in consumers {
            c.abort(); // as asyncio's `task.cancel()`: each is waiting in get()
            assert!(c.await.unwrap_err().is_cancelled());
        }
        println!("{:>6.1?}  consumers cancelled; done", start.elapsed());
    });
}
