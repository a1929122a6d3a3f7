//! A TCP echo server: every byte a client sends comes back to it.
//!
//!     cargo run --release --example echo_server [ADDR]      # default 127.0.0.1:8080
//!     nc 127.0.0.1 8080                                      # in another terminal
//!
//! One task per client; each echoes with `weft::io::copy` from the socket's read half into
//! its write half. An accept error (such as EMFILE, out of file descriptors) is printed and
//! the loop backs off for 100 ms instead of exiting, so the server keeps serving once
//! descriptors free up.
//!
//! asyncio: `asyncio.start_server(handle, host, port)` + `await server.serve_forever()`.

use std::time::Duration;

use weft::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    weft::run(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("echo server listening on {}", listener.local_addr()?);
        loop {
            match listener.accept().await {
                Ok((socket, peer)) => {
                    println!("{peer} connected");
                    weft::spawn(async move {
                        match echo(socket).await {
                            Ok(n) => println!("{peer} disconnected ({n} bytes echoed)"),
                            Err(e) => println!("{peer} disconnected with an error: {e}"),
                        }
                    });
                }
                Err(e) => {
                    // EMFILE / ENFILE / ECONNABORTED...: not fatal for the server.
                    eprintln!("accept failed: {e}; retrying in 100 ms");
                    weft::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

/// Copies what the client sends back to it until it closes its side; returns the byte count.
async fn echo(socket: TcpStream) -> std::io::Result<u64> {
    let (mut reader, mut writer) = socket.into_split();
    weft::io::copy(&mut reader, &mut writer).await
}
