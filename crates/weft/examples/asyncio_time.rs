//! The asyncio tutorial's first programs, line for line in weft: two tasks sleeping
//! concurrently, `gather`, `wait_for` with a timeout, and `as_completed`.
//!
//!     cargo run --release --example asyncio_time      (about 9 seconds: the sleeps are real)
//!
//! The same programs run under a paused clock in `crates/weft/tests/time.rs`
//! (`the_asyncio_examples_behave_the_same`), where they take no time at all.

use std::time::{Duration, Instant};

use weft::time::{sleep, timeout};

// async def task_one():
//     print('Starting task one'); await asyncio.sleep(3); print('Finished task one')
async fn task_one(t0: Instant) {
    println!("[{:>4.1}s] Starting task one", t0.elapsed().as_secs_f32());
    sleep(Duration::from_secs(3)).await;
    println!("[{:>4.1}s] Finished task one", t0.elapsed().as_secs_f32());
}

async fn task_two(t0: Instant) {
    println!("[{:>4.1}s] Starting task two", t0.elapsed().as_secs_f32());
    sleep(Duration::from_secs(1)).await;
    println!("[{:>4.1}s] Finished task two", t0.elapsed().as_secs_f32());
}

async fn foo() -> &'static str {
    sleep(Duration::from_secs(1)).await;
    "foo"
}

async fn bar() -> &'static str {
    sleep(Duration::from_secs(2)).await;
    "bar"
}

async fn some_function() {
    sleep(Duration::from_secs(5)).await;
}

// async def my_task(duration):
//     await asyncio.sleep(duration); return f"Task completed in {duration} seconds"
async fn my_task(duration: u64) -> String {
    sleep(Duration::from_secs(duration)).await;
    format!("Task completed in {duration} seconds")
}

fn main() {
    // asyncio.run(main())
    weft::run(async {
        let t0 = Instant::now();
        println!("create_task + await: both tasks run concurrently (3 s, not 4)");
        // task1 = asyncio.create_task(task_one()); task2 = asyncio.create_task(task_two())
        let task1 = weft::spawn(task_one(t0));
        let task2 = weft::spawn(task_two(t0));
        // await task1; await task2
        task1.await.unwrap();
        task2.await.unwrap();

        println!("\ngather: results in argument order (2 s, not 3)");
        let t = Instant::now();
        // results = await asyncio.gather(foo(), bar())
        let results = weft::join!(foo(), bar());
        println!("{results:?} after {:.1}s", t.elapsed().as_secs_f32());

        println!("\nwait_for: a 5 s call with a 3 s timeout");
        // try: await asyncio.wait_for(some_function(), timeout=3)
        // except asyncio.TimeoutError: print("Task took too long.")
        if timeout(Duration::from_secs(3), some_function())
            .await
            .is_err()
        {
            println!("Task took too long.");
        }

        println!("\nas_completed: results as they finish (1 s, 2 s, 3 s)");
        // for coroutine in asyncio.as_completed([my_task(1), my_task(3), my_task(2)]):
        //     result = await coroutine; print(result)
        let mut tasks = weft::task::as_completed([my_task(1), my_task(3), my_task(2)]);
        while let Some(result) = tasks.next().await {
            println!("{result}");
        }
    });
}
