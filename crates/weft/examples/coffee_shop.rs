//! The asyncio tutorial's coffee shop ("Python Async Await: Mastering Concurrent
//! Programming", "Let's Start With a Fun Example: Asynchronous Coffee Shop") in weft, timed.
//!
//!     cargo run --release --example coffee_shop              (real seconds: about 45 s)
//!     cargo run --release --example coffee_shop -- --fast    (1 tutorial second = 10 ms)
//!
//! Options: `--scale MS` (milliseconds per tutorial second; `--fast` is `--scale 10`),
//! `--customers N` (default 5), `--seed S` (the brew times and arrival gaps are drawn from a
//! small generator, so a seed gives the same shop every time).
//!
//! The tutorial says its baristas "can brew multiple coffees at once". Its code does not:
//!
//! ```text
//! while True:
//!     await asyncio.gather(customer(order_number), asyncio.sleep(random.randint(1, 3)))
//!     order_number += 1
//! ```
//!
//! `gather` waits for *both* the coffee and the arrival gap before the loop lets the next
//! customer in, so there is never more than one coffee brewing: the shop takes the sum over
//! orders of `max(brew, gap)`. Act 1 runs that loop as written and shows it. Act 2 spawns
//! each customer as a task of its own (`create_task`): the next customer comes in on time
//! while earlier coffees brew, and the shop is done when the last coffee is ready. Act 3 has
//! every customer at the door at opening: one at a time takes the sum of the brews, spawned
//! takes the longest one.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use weft::time::{sleep, Instant};

/// One customer's order: how long the coffee brews and how long until the next customer
/// walks in, both in tutorial seconds.
#[derive(Clone, Copy)]
struct Order {
    brew: u64,
    gap: u64,
}

/// The shop's clock: real time since opening, shown in tutorial seconds.
#[derive(Clone, Copy)]
struct Clock {
    opened: Instant,
    second: Duration,
}

impl Clock {
    fn open(second: Duration) -> Clock {
        Clock {
            opened: Instant::now(),
            second,
        }
    }

    /// `n` tutorial seconds.
    fn secs(&self, n: u64) -> Duration {
        self.second * n as u32
    }

    /// Tutorial seconds since opening.
    fn now(&self) -> f64 {
        self.opened.elapsed().as_secs_f64() / self.second.as_secs_f64()
    }

    fn say(&self, what: std::fmt::Arguments<'_>) {
        println!("[{:5.2} s] {what}", self.now());
    }
}

/// Counts the coffees brewing right now, and the most seen at once.
#[derive(Clone, Default)]
struct Baristas {
    brewing: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

impl Baristas {
    fn most(&self) -> usize {
        self.most.load(SeqCst)
    }
}

// async def make_coffee(order_number):
//     brew_time = random.randint(1, 5)
//     print(f"Order {order_number}: Brewing coffee... (takes {brew_time} seconds)")
//     await asyncio.sleep(brew_time)
//     print(f"Order {order_number}: Coffee is ready!")
async fn make_coffee(n: usize, brew: u64, clock: Clock, baristas: Baristas) {
    let now = baristas.brewing.fetch_add(1, SeqCst) + 1;
    baristas.most.fetch_max(now, SeqCst);
    clock.say(format_args!(
        "Order {n}: Brewing coffee... (takes {brew} seconds; {now} brewing)"
    ));
    sleep(clock.secs(brew)).await;
    baristas.brewing.fetch_sub(1, SeqCst);
    clock.say(format_args!("Order {n}: Coffee is ready!"));
}

// async def customer(order_number):
//     print(f"Order {order_number}: Customer arrived!")
//     await make_coffee(order_number)
async fn customer(n: usize, brew: u64, clock: Clock, baristas: Baristas) {
    clock.say(format_args!("Order {n}: Customer arrived!"));
    make_coffee(n, brew, clock, baristas).await;
}

/// Act 1, the tutorial's `coffee_shop()` as written, for `orders.len()` customers instead of
/// `while True` (after the last customer the shop closes, so nobody waits for a next arrival).
async fn as_written(orders: &[Order], clock: Clock, baristas: &Baristas) -> f64 {
    for (i, order) in orders.iter().enumerate() {
        let gap = if i + 1 < orders.len() { order.gap } else { 0 };
        // await asyncio.gather(customer(order_number), asyncio.sleep(random.randint(1, 3)))
        weft::join!(
            customer(i + 1, order.brew, clock, baristas.clone()),
            sleep(clock.secs(gap)),
        );
    }
    clock.now()
}

/// Act 2: each customer a task (asyncio's `create_task`); the next one walks in after the
/// gap, whatever is still brewing.
async fn spawned(orders: &[Order], clock: Clock, baristas: &Baristas) -> f64 {
    let mut served = Vec::new();
    for (i, order) in orders.iter().enumerate() {
        served.push(weft::spawn(customer(
            i + 1,
            order.brew,
            clock,
            baristas.clone(),
        )));
        if i + 1 < orders.len() {
            sleep(clock.secs(order.gap)).await;
        }
    }
    for coffee in weft::future::join_all(served).await {
        coffee.expect("a customer task failed");
    }
    clock.now()
}

/// Act 3, one at a time: every customer at the door, served in turn.
async fn rush_one_at_a_time(orders: &[Order], clock: Clock, baristas: &Baristas) -> f64 {
    for (i, order) in orders.iter().enumerate() {
        customer(i + 1, order.brew, clock, baristas.clone()).await;
    }
    clock.now()
}

/// Act 3, spawned: every customer at the door, each a task.
async fn rush_spawned(orders: &[Order], clock: Clock, baristas: &Baristas) -> f64 {
    let served: Vec<_> = orders
        .iter()
        .enumerate()
        .map(|(i, order)| weft::spawn(customer(i + 1, order.brew, clock, baristas.clone())))
        .collect();
    for coffee in weft::future::join_all(served).await {
        coffee.expect("a customer task failed");
    }
    clock.now()
}

/// The shop's orders: `random.randint(1, 5)` brews and `random.randint(1, 3)` gaps, from a
/// xorshift generator seeded with `seed`.
fn draw_orders(customers: usize, seed: u64) -> Vec<Order> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |lo: u64, hi: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        lo + x % (hi - lo + 1)
    };
    (0..customers)
        .map(|_| Order {
            brew: next(1, 5),
            gap: next(1, 3),
        })
        .collect()
}

struct Args {
    second: Duration,
    customers: usize,
    seed: u64,
}

fn parse_args() -> Args {
    let mut args = Args {
        second: Duration::from_secs(1),
        customers: 5,
        seed: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> u64 {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| usage(&format!("{name} needs a whole number")))
        };
        match arg.as_str() {
            "--fast" => args.second = Duration::from_millis(10),
            "--scale" => args.second = Duration::from_millis(value("--scale").max(1)),
            "--customers" => args.customers = value("--customers").clamp(1, 1000) as usize,
            "--seed" => args.seed = value("--seed"),
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    args
}

fn usage(problem: &str) -> ! {
    eprintln!("coffee_shop: {problem}");
    eprintln!("usage: coffee_shop [--fast | --scale MS] [--customers N] [--seed S]");
    std::process::exit(2);
}

fn act(title: &str) {
    println!("\n== {title}");
}

#[weft::main]
async fn main() {
    let Args {
        second,
        customers,
        seed,
    } = parse_args();
    let orders = draw_orders(customers, seed);
    println!(
        "weft coffee shop: {customers} customers, 1 tutorial second = {} ms, seed {seed}",
        second.as_millis()
    );
    println!("the orders (times in tutorial seconds):");
    for (i, o) in orders.iter().enumerate() {
        if i + 1 < orders.len() {
            println!(
                "  order {}: brews {} s; the next customer comes {} s later",
                i + 1,
                o.brew,
                o.gap
            );
        } else {
            println!("  order {}: brews {} s; the last customer", i + 1, o.brew);
        }
    }

    act("1. The tutorial's loop as written: gather(customer(n), sleep(gap)), then the next");
    let baristas = Baristas::default();
    let tutorial = as_written(&orders, Clock::open(second), &baristas).await;
    let tutorial_most = baristas.most();
    println!(
        "served {customers} coffees in {tutorial:.2} s, at most {tutorial_most} brewing at \
         once: gather waits for the coffee before the next customer is let in"
    );

    act("2. Each customer a task of its own (weft::spawn); the next one comes in on time");
    let baristas = Baristas::default();
    let concurrent = spawned(&orders, Clock::open(second), &baristas).await;
    let concurrent_most = baristas.most();
    println!(
        "served {customers} coffees in {concurrent:.2} s, at most {concurrent_most} brewing at \
         once: done when the last coffee is ready"
    );

    act("3. Rush hour: every customer at the door at opening");
    println!("-- one at a time (await each customer in turn)");
    let rush_serial = rush_one_at_a_time(&orders, Clock::open(second), &Baristas::default()).await;
    println!(
        "-- spawned (one task per customer, join_all; who is greeted first is up to the workers)"
    );
    let rush_concurrent = rush_spawned(&orders, Clock::open(second), &Baristas::default()).await;

    // What the clock must say, from the orders alone.
    let n = orders.len();
    let as_written_expected: u64 = orders
        .iter()
        .enumerate()
        .map(|(i, o)| if i + 1 < n { o.brew.max(o.gap) } else { o.brew })
        .sum();
    let mut arrival = 0;
    let mut spawned_expected = 0;
    for o in &orders {
        spawned_expected = spawned_expected.max(arrival + o.brew);
        arrival += o.gap;
    }
    let brews_sum: u64 = orders.iter().map(|o| o.brew).sum();
    let brews_max = orders.iter().map(|o| o.brew).max().unwrap_or(0);

    println!("\nsummary, in tutorial seconds (measured, then what the orders predict):");
    println!(
        "  as written, one coffee at a time: {tutorial:6.2} s   \
         expected {as_written_expected} = the sum of max(brew, gap)"
    );
    println!(
        "  spawned, several at once:         {concurrent:6.2} s   \
         expected {spawned_expected} = when the last coffee is ready"
    );
    println!(
        "  rush hour, one at a time:         {rush_serial:6.2} s   \
         expected {brews_sum} = the sum of the brews"
    );
    println!(
        "  rush hour, spawned:               {rush_concurrent:6.2} s   \
         expected {brews_max} = the longest brew"
    );
}
