//! The asyncio tutorial's async generator programs ("Python Async Generator: Mastering
//! Asyncio in Modern Applications", and `async_generator_a` / `async_generator_b` of the
//! `yield from` section) in weft: a generator that sleeps between yields consumed with
//! `async for`, an async comprehension, and a generator that raises.
//!
//!     cargo run --example async_generator      (well under a second: the sleeps are 10 ms)
//!
//! The tutorial sleeps a second per item; here a "second" is 10 ms.

use std::time::Duration;

use weft::stream::{self, Stream, StreamExt};

const SECOND: Duration = Duration::from_millis(10);

// async def async_generator_example(start, stop):
//     for number in range(start, stop):
//         await asyncio.sleep(1)
//         yield number
fn async_generator_example(start: u32, stop: u32) -> impl Stream<Item = u32> {
    stream::generate(move |mut y| async move {
        for number in start..stop {
            weft::time::sleep(SECOND).await;
            y.send(number).await;
        }
    })
}

// async def async_generator_a():
//     for i in range(3):
//         yield i
//         await asyncio.sleep(1)
fn async_generator_a() -> impl Stream<Item = u32> {
    stream::generate(|mut y| async move {
        for i in 0..3 {
            y.send(i).await;
            weft::time::sleep(SECOND).await;
        }
    })
}

// async def async_generator_b():
//     async for item in async_generator_a():
//         print(item)
async fn async_generator_b() {
    let mut items = std::pin::pin!(async_generator_a());
    while let Some(item) = items.next().await {
        println!("{item}");
    }
}

#[derive(Debug)]
struct ValueError(&'static str);

// The generator that raises. In the tutorial it catches its own ValueError and goes on;
// here the error is a `Result` item instead, so the `async for` loop sees it too:
//
// async def async_generator_example(start, stop):
//     for number in range(start, stop):
//         await asyncio.sleep(1)
//         if number % 2 == 0:
//             raise ValueError("Even numbers are not allowed.")
//         yield number
fn strict_generator(start: u32, stop: u32) -> impl Stream<Item = Result<u32, ValueError>> {
    stream::try_generate(move |mut y| async move {
        for number in start..stop {
            weft::time::sleep(SECOND).await;
            if number % 2 == 0 {
                return Err(ValueError("Even numbers are not allowed."));
            }
            y.send(number).await;
        }
        Ok(())
    })
}

fn main() {
    weft::run(async {
        // async def main():
        //     async for num in async_generator_example(1, 5):
        //         print(num)
        let mut nums = std::pin::pin!(async_generator_example(1, 5));
        let mut seen = Vec::new();
        while let Some(num) = nums.next().await {
            println!("{num}");
            seen.push(num);
        }
        assert_eq!(seen, [1, 2, 3, 4]);

        // await async_generator_b()
        async_generator_b().await;

        // odd = [n async for n in async_generator_example(1, 8) if n % 2 == 1]
        let odd: Vec<u32> = async_generator_example(1, 8)
            .filter(|n| n % 2 == 1)
            .collect()
            .await;
        println!("odd: {odd:?}");
        assert_eq!(odd, [1, 3, 5, 7]);

        // try:
        //     async for num in strict_generator(1, 5): print(num)
        // except ValueError as e:
        //     print(f"Error in generator: {e}")
        let mut strict = std::pin::pin!(strict_generator(1, 5));
        let mut last = None;
        while let Some(item) = strict.next().await {
            match item {
                Ok(num) => println!("{num}"),
                Err(ValueError(e)) => {
                    println!("Error in generator: {e}");
                    last = Some(e);
                }
            }
        }
        assert_eq!(last, Some("Even numbers are not allowed."));

        // The tutorial's version, which catches its own error and goes on, is a plain
        // generator that skips: its stream holds the odd numbers only.
        let forgiving = stream::generate(|mut y| async move {
            for number in 1..5u32 {
                weft::time::sleep(SECOND).await;
                if number % 2 == 0 {
                    println!("Error in generator: Even numbers are not allowed.");
                    continue;
                }
                y.send(number).await;
            }
        });
        assert_eq!(forgiving.collect::<Vec<_>>().await, [1, 3]);
        println!("done");
    });
}
