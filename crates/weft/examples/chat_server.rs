//! A line-based chat server: each line a client sends goes to every *other* client,
//! prefixed with the sender's address.
//!
//!     cargo run --release --example chat_server [ADDR]      # default 127.0.0.1:8081
//!     nc 127.0.0.1 8081                                      # in two or more terminals
//!
//! weft has no channels yet, so the broadcast is built from a `std::sync::Mutex` and wakers:
//! every client has an *outbox* (a queue of lines plus the waker of its writer task) in one
//! shared map. A client's reader task appends each line it reads to the others' outboxes and
//! wakes their writers; each writer task waits on its own outbox and writes what arrives to
//! its socket. A client that disconnects is removed from the map, which also stops its
//! writer. On joining, a client gets a welcome line (so a client knows it is registered).
//!
//! asyncio: `asyncio.start_server` with a set of `StreamWriter`s to write each line to.

use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use weft::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use weft::net::tcp_split::{OwnedReadHalf, OwnedWriteHalf};
use weft::net::{TcpListener, TcpStream};

type ClientId = u64;

/// The lines waiting to be written to one client, and who to wake when one arrives.
#[derive(Default)]
struct Outbox {
    lines: VecDeque<String>,
    writer: Option<Waker>,
}

/// Every connected client's outbox.
#[derive(Clone, Default)]
struct Clients(Arc<Mutex<HashMap<ClientId, Outbox>>>);

impl Clients {
    /// Adds a client, with a welcome line in its outbox; returns how many others are here.
    fn join(&self, id: ClientId, peer: SocketAddr) -> usize {
        let mut map = self.0.lock().unwrap();
        let others = map.len();
        let mut outbox = Outbox::default();
        outbox
            .lines
            .push_back(format!("welcome {peer}, {others} other client(s) here\n"));
        map.insert(id, outbox);
        others
    }

    /// Removes a client and wakes its writer, which then finds its outbox gone and stops.
    fn leave(&self, id: ClientId) {
        let outbox = self.0.lock().unwrap().remove(&id);
        if let Some(waker) = outbox.and_then(|o| o.writer) {
            waker.wake();
        }
    }

    /// Queues `line` for every client but `from`, waking their writers (outside the lock).
    fn broadcast(&self, from: ClientId, line: &str) {
        let wakers: Vec<Waker> = {
            let mut map = self.0.lock().unwrap();
            map.iter_mut()
                .filter(|(id, _)| **id != from)
                .filter_map(|(_, outbox)| {
                    outbox.lines.push_back(line.to_owned());
                    outbox.writer.take()
                })
                .collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// Waits for the next line for client `id`; `None` once the client has left.
    async fn next_line(&self, id: ClientId) -> Option<String> {
        poll_fn(|cx| {
            let mut map = self.0.lock().unwrap();
            let Some(outbox) = map.get_mut(&id) else {
                return Poll::Ready(None);
            };
            match outbox.lines.pop_front() {
                Some(line) => Poll::Ready(Some(line)),
                None => {
                    outbox.writer = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_owned());
    weft::run(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("chat server listening on {}", listener.local_addr()?);
        let clients = Clients::default();
        let next_id = AtomicU64::new(0);
        loop {
            match listener.accept().await {
                Ok((socket, peer)) => {
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    weft::spawn(serve(socket, peer, id, clients.clone()));
                }
                Err(e) => {
                    eprintln!("accept failed: {e}; retrying in 100 ms");
                    weft::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

/// Runs one client: a writer task drains its outbox, this task reads its lines.
async fn serve(socket: TcpStream, peer: SocketAddr, id: ClientId, clients: Clients) {
    let others = clients.join(id, peer);
    println!("{peer} joined ({others} other client(s) here)");
    let (reader, writer) = socket.into_split();
    let writer_task = weft::spawn(write_outbox(writer, id, clients.clone()));
    let result = read_lines(reader, peer, id, &clients).await;
    clients.leave(id);
    let _ = writer_task.await;
    match result {
        Ok(()) => println!("{peer} left"),
        Err(e) => println!("{peer} left with an error: {e}"),
    }
}

/// Broadcasts each line the client sends, until it disconnects.
async fn read_lines(
    reader: OwnedReadHalf,
    peer: SocketAddr,
    id: ClientId,
    clients: &Clients,
) -> std::io::Result<()> {
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next_line().await? {
        clients.broadcast(id, &format!("{peer}: {line}\n"));
    }
    Ok(())
}

/// Writes the client's outbox to its socket until the client leaves or the socket fails.
async fn write_outbox(mut writer: OwnedWriteHalf, id: ClientId, clients: Clients) {
    while let Some(line) = clients.next_line(id).await {
        if writer.write_all(line.as_bytes()).await.is_err() {
            // The peer is gone; its reader will see that too and remove it.
            break;
        }
    }
}
