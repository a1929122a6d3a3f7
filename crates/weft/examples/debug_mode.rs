//! asyncio's debug mode and `all_tasks()` / `Task.get_stack()`, on weft: a small order
//! service with two bugs, found from the output alone.
//!
//! - The *packer* calls blocking code (`std::thread::sleep`, standing for a synchronous
//!   database driver) inside a task: debug mode reports the slow poll, and the watchdog
//!   reports the worker blocked while other tasks wait, naming the task and where it was
//!   spawned.
//! - The *auditor* takes two locks in the opposite order to the *shipper*: both wait forever.
//!   The dump says what each waits on and which line made that wait.
//! - A *notifier* panics and nobody awaits its `JoinHandle`: debug mode says so (asyncio's
//!   "Task exception was never retrieved").
//!
//! Run: `cargo run --release --example debug_mode` (debug mode is forced on here; in your
//! own program it is on by default in debug builds, or with `WEFT_DEBUG=1`).

use std::sync::Arc;
use std::time::Duration;

use weft::sync::{mpsc, Mutex};
use weft::task;
use weft::time::sleep;

fn main() {
    // The panic's own message would interleave with the report below; keep the output short.
    std::panic::set_hook(Box::new(|_| {}));
    // One thread, like asyncio's event loop: blocking code there stops everything.
    let rt = weft::runtime::Builder::new_current_thread()
        .slow_poll_threshold(Duration::from_millis(100))
        .build()
        .expect("runtime");
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let (orders, mut incoming) = mpsc::channel::<u32>(16);
        let stock = Arc::new(Mutex::new(100u32));
        let ledger = Arc::new(Mutex::new(Vec::<u32>::new()));

        // Takes orders and packs them; the packing is blocking code.
        let packer = task::Builder::new().name("packer").spawn(async move {
            while let Some(order) = incoming.recv().await {
                std::thread::sleep(Duration::from_millis(250)); // a synchronous DB call
                println!("packed order {order}");
            }
        });

        // Locks stock, then ledger.
        let (s, l) = (stock.clone(), ledger.clone());
        let _shipper = task::Builder::new().name("shipper").spawn(async move {
            let mut stock = s.lock().await;
            sleep(Duration::from_millis(20)).await;
            let mut ledger = l.lock().await;
            *stock -= 1;
            ledger.push(1);
        });
        // Locks ledger, then stock: a lock-order deadlock with the shipper.
        let (s, l) = (stock.clone(), ledger.clone());
        let _auditor = task::Builder::new().name("auditor").spawn(async move {
            let ledger = l.lock().await;
            sleep(Duration::from_millis(20)).await;
            let stock = s.lock().await;
            println!("audit: {} in stock, {} shipped", *stock, ledger.len());
        });

        // Many small tasks that would like to run while the packer blocks its worker.
        let pings: Vec<_> = (0..8)
            .map(|i| {
                task::spawn(async move {
                    for _ in 0..20 {
                        sleep(Duration::from_millis(5)).await;
                    }
                    i
                })
            })
            .collect();

        // A task that fails, whose handle nobody keeps.
        drop(
            task::Builder::new()
                .name("notifier")
                .spawn(async { panic!("SMTP server refused the connection") }),
        );

        for order in 1..=3 {
            orders.send(order).await.expect("packer alive");
        }
        for p in pings {
            p.await.expect("ping");
        }
        drop(orders);
        packer.await.expect("packer");
        sleep(Duration::from_millis(100)).await;

        println!("\n--- Handle::dump() ---\n{}", handle.dump());
        let stuck: Vec<String> = handle
            .tasks()
            .into_iter()
            .filter(|t| !t.is_main)
            .filter_map(|t| {
                Some(format!(
                    "{} waits on {}",
                    t.name?,
                    t.waiting_on?.kind.name()
                ))
            })
            .collect();
        println!("stuck: {}", stuck.join("; "));
    });
    // Dropping the runtime cancels the two deadlocked tasks.
}
