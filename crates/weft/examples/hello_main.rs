//! `#[weft::main]`: asyncio's `asyncio.run(main())` as an attribute.
//!
//! `cargo run --example hello_main`

use std::time::Duration;

#[weft::main(worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let greet = weft::spawn(async {
        weft::time::sleep(Duration::from_millis(10)).await;
        "hello from a task"
    });
    let workers = weft::runtime::Handle::current().num_workers();
    println!("{} (on {workers} workers)", greet.await?);
    Ok(())
}
