//! `#[weft::test]` and `#[weft::main]`: the runtime each argument builds, and that test
//! attributes (`#[should_panic]`, `#[ignore]`), return types and `?` pass through.
//! (Misuse is checked by the unit tests of `weft-macros` and the compile_fail doctests of
//! `weft::main` / `weft::test`.)

use std::thread;
use std::time::Duration;

use weft::runtime::Handle;
use weft::time::Instant;

// ---- #[weft::test] ----

#[weft::test]
async fn test_runs_on_the_current_thread_of_the_test() {
    assert_eq!(Handle::current().num_workers(), 1);
    // The body and its spawned tasks run on the test's own thread.
    let test_thread = thread::current().id();
    let task_thread = weft::spawn(async { thread::current().id() }).await.unwrap();
    assert_eq!(task_thread, test_thread);
}

#[weft::test]
async fn test_enables_every_driver() {
    // Time: a sleep works (it would panic on a runtime built with `disable_time`).
    weft::time::sleep(Duration::from_millis(1)).await;
    // I/O: a socket can be bound (it would fail on a runtime built with `disable_io`).
    let listener = weft::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    assert!(listener.local_addr().unwrap().port() != 0);
}

#[weft::test(start_paused = true)]
async fn start_paused_makes_sleeps_take_virtual_time_only() {
    let start = Instant::now();
    weft::time::advance(Duration::from_millis(1500)).await;
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    // A sleep of an hour completes as soon as everything is idle; the clock then shows
    // exactly its deadline (1500 ms is on a tick, so there is nothing to round).
    weft::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(3600) + Duration::from_millis(1500)
    );
}

#[weft::test(flavor = "current_thread", start_paused = false)]
async fn start_paused_false_keeps_the_clock_running() {
    let start = Instant::now();
    thread::sleep(Duration::from_millis(5));
    assert!(start.elapsed() >= Duration::from_millis(5));
}

#[weft::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_thread_with_two_workers() {
    assert_eq!(Handle::current().num_workers(), 2);
    // Tasks run on the workers, not on the test's thread.
    let test_thread = thread::current().id();
    let on = weft::spawn(async { thread::current().id() }).await.unwrap();
    assert_ne!(on, test_thread);
}

#[weft::test(flavor = "multi_thread")]
async fn multi_thread_defaults_to_one_worker_per_cpu() {
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(Handle::current().num_workers(), cpus);
}

#[weft::test]
async fn a_test_may_return_a_result_and_use_the_question_mark() -> Result<(), std::io::Error> {
    let n: u32 = "7"
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    // A `JoinError` converts into an `io::Error`: `?` picks the conversion from the
    // declared return type.
    let doubled = weft::spawn(async move { n * 2 }).await?;
    assert_eq!(doubled, 14);
    Ok(())
}

#[weft::test]
async fn an_early_return_in_the_body_returns_from_the_test() -> Result<(), String> {
    if weft::spawn(async { true }).await.unwrap() {
        return Ok(());
    }
    Err("the early return did not return".to_owned())
}

#[weft::test]
#[should_panic(expected = "boom on the current thread")]
async fn should_panic_sees_the_body_s_panic() {
    weft::task::yield_now().await;
    panic!("boom on the current thread");
}

#[weft::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "boom on the multi-thread runtime")]
async fn should_panic_sees_the_body_s_panic_on_multi_thread() {
    weft::task::yield_now().await;
    panic!("boom on the multi-thread runtime");
}

#[weft::test]
#[ignore = "only checks that #[ignore] passes through; running it is harmless"]
async fn ignore_passes_through() {
    weft::task::yield_now().await;
}

mod renamed {
    // A crate that renamed weft (or re-exports it under another path) says where it is.
    use weft as my_weft;

    #[weft::test(crate = "my_weft")]
    async fn the_crate_argument_is_used_for_paths() {
        assert_eq!(my_weft::runtime::Handle::current().num_workers(), 1);
    }
}

// ---- #[weft::main] on functions other than `main`: it makes them plain `fn`s ----

#[weft::main]
async fn main_default() -> usize {
    Handle::current().num_workers()
}

#[weft::main(worker_threads = 2)]
async fn main_two_workers() -> usize {
    Handle::current().num_workers()
}

#[weft::main(flavor = "current_thread", start_paused = true)]
async fn main_paused() -> Duration {
    let start = Instant::now();
    weft::time::sleep(Duration::from_secs(60)).await;
    start.elapsed()
}

#[weft::main(flavor = "current_thread")]
async fn main_fallible() -> Result<u32, Box<dyn std::error::Error>> {
    let n: u32 = "21".parse()?;
    Ok(weft::spawn(async move { n * 2 }).await?)
}

#[test]
fn main_builds_a_multi_thread_runtime_by_default() {
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(main_default(), cpus);
    assert_eq!(main_two_workers(), 2);
}

#[test]
fn main_can_start_paused_on_the_current_thread() {
    // The paused clock starts on a tick, so the deadline needs no rounding: exactly 60 s.
    assert_eq!(main_paused(), Duration::from_secs(60));
}

#[test]
fn main_returns_what_the_body_returns() {
    assert_eq!(main_fallible().unwrap(), 42);
}
