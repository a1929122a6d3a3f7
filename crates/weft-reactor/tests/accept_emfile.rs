//! An accept loop that runs out of file descriptors (`EMFILE`) gets an error it can back
//! off from, and goes on serving once descriptors are freed.
//!
//! This lowers `RLIMIT_NOFILE` for the whole process, so it is the only test in its file
//! (each test file is its own process).

mod common;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::time::Duration;

use common::*;
use weft_reactor::net::{TcpListener, TcpStream};

/// Restores the soft limit on drop (also when the test panics).
struct Restore(u64);
impl Drop for Restore {
    fn drop(&mut self) {
        let _ = set_nofile(self.0);
    }
}

#[test]
fn accept_meets_emfile_backs_off_and_recovers() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        const CLIENTS: usize = 6;
        // Connect the clients first: the kernel completes the handshakes into the
        // listener's backlog, so they wait there while the server has no descriptor.
        let mut clients = Vec::new();
        for i in 0..CLIENTS {
            let mut c = TcpStream::connect(addr).await.unwrap();
            write_all(&mut c, &[i as u8; 5]).await.unwrap();
            clients.push(c);
        }

        // Fill every hole in the descriptor table, keep a few spares, then cap the limit
        // just above the highest descriptor: the next one the process opens fails.
        let mut fillers = Vec::new();
        let max_open = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .max()
            .unwrap();
        loop {
            let f = File::open("/dev/null").unwrap();
            let fd = f.as_raw_fd();
            fillers.push(f);
            if fd > max_open {
                break;
            }
        }
        let mut spares: Vec<File> = (0..2).map(|_| File::open("/dev/null").unwrap()).collect();
        let top = spares.last().unwrap().as_raw_fd();
        let (prev, _) = set_nofile(top as u64 + 1).unwrap();
        let _restore = Restore(prev);

        // The accept loop: on EMFILE, free the spare descriptors and back off.
        let mut emfile = 0;
        let mut served = 0;
        while served < CLIENTS {
            match listener.accept().await {
                Ok((s, _)) => {
                    let mut s = s;
                    let mut buf = [0; 5];
                    read_exact(&mut s, &mut buf).await.unwrap();
                    write_all(&mut s, &buf).await.unwrap();
                    served += 1;
                    drop(s); // frees the descriptor for the next one
                }
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                    emfile += 1;
                    assert!(
                        emfile < 100,
                        "accept kept failing after descriptors were freed"
                    );
                    spares.clear();
                    sleep(Duration::from_millis(10)).await;
                }
            }
        }
        assert!(emfile >= 1, "the limit was never hit");

        for (i, c) in clients.iter_mut().enumerate() {
            let mut buf = [0; 5];
            read_exact(c, &mut buf).await.unwrap();
            assert_eq!(buf, [i as u8; 5]);
        }
        drop(fillers);
    });
}
