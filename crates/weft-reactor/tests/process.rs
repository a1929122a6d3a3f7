//! Child processes: output capture, piped round trips, exit codes and signals, kill, spawn
//! errors, reaping of dropped children (pidfd and the `SIGCHLD` fallback), many children
//! at once.
//!
//! Its own test binary: the `SIGCHLD` handler it may install is process-global.

mod common_sp;

use std::future::{poll_fn, Future};
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common_sp::{block_on, join2, join_all, nap};
use futures_io::{AsyncRead, AsyncWrite};
use weft_reactor::process::{self, Command};
use weft_reactor::signal::unix::{signal, SignalKind};

async fn write_all<W: AsyncWrite + Unpin>(w: &mut W, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, buf)).await?;
        assert!(n > 0);
        buf = &buf[n..];
    }
    Ok(())
}

async fn read_to_end<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        match poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, &mut chunk)).await? {
            0 => return Ok(out),
            n => out.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The state letter of `/proc/<pid>/stat` (`Z` for a zombie), or `None` if there is no
/// such process.
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ...": the state follows the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.trim_start().chars().next()
}

#[test]
fn echo_output_is_captured_exactly() {
    let out = block_on(Command::new("echo").arg("hello").output()).unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"hello\n");
    assert_eq!(out.stderr, b"");
}

#[test]
fn stderr_env_and_current_dir() {
    let out = block_on(
        Command::new("sh")
            .args([
                "-c",
                "echo \"$WEFT_X\"; pwd; echo oops >&2; echo \"[$HOME]\"",
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs([("WEFT_X", "x1")])
            .env("HOME", "/nowhere")
            .env_remove("HOME")
            .current_dir("/")
            .output(),
    )
    .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "x1\n/\n[]\n");
    assert_eq!(out.stderr, b"oops\n");
}

#[test]
fn cat_round_trips_a_megabyte() {
    let data: Vec<u8> = (0..1024 * 1024u32)
        .map(|i| (i * 7 + i / 251) as u8)
        .collect();
    let echoed = block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        // Concurrently: a megabyte is far more than a pipe holds, so writing it all before
        // reading would deadlock.
        let writer = async {
            write_all(&mut stdin, &data).await.unwrap();
            poll_fn(|cx| Pin::new(&mut stdin).poll_flush(cx))
                .await
                .unwrap();
            poll_fn(|cx| Pin::new(&mut stdin).poll_close(cx))
                .await
                .unwrap();
            // Closed: writing again is an error, not a hang.
            let err = write_all(&mut stdin, b"x").await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        };
        let reader = read_to_end(&mut stdout);
        let ((), echoed) = join2(writer, reader).await;
        assert!(child.wait().await.unwrap().success());
        echoed.unwrap()
    });
    assert_eq!(echoed.len(), data.len());
    assert!(echoed == data, "the echoed bytes differ");
}

#[test]
fn wait_with_output_drains_both_pipes_concurrently() {
    // 256 KiB on each of stdout and stderr: more than a pipe buffer each.
    let out = block_on(async {
        Command::new("sh")
            .args([
                "-c",
                "head -c 262144 /dev/zero; head -c 262144 /dev/zero >&2",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
            .wait_with_output()
            .await
    })
    .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), 262144);
    assert_eq!(out.stderr.len(), 262144);
}

#[test]
fn wait_closes_stdin_first() {
    // cat exits only once its stdin is closed.
    let status = block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        assert!(child.stdin.is_some());
        child.wait().await
    })
    .unwrap();
    assert!(status.success());
}

#[test]
fn exit_codes() {
    block_on(async {
        let status = Command::new("sh").args(["-c", "exit 3"]).status().await;
        assert_eq!(status.unwrap().code(), Some(3));
        let status = Command::new("true").status().await.unwrap();
        assert!(status.success());
        let out = Command::new("sh").args(["-c", "exit 7"]).output().await;
        assert_eq!(out.unwrap().status.code(), Some(7));
    });
}

#[test]
fn kill_gives_a_signal_exit_status_promptly() {
    block_on(async {
        let start = Instant::now();
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        let pid = child.id().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        child.kill().await.unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert_eq!(status.code(), None);
        // Lenient bound: "promptly" means not after sleep's 10 s.
        assert!(start.elapsed() < Duration::from_secs(8));
        // Reaped: no id any more, and killing again is fine.
        assert_eq!(child.id(), None);
        child.start_kill().unwrap();
        assert_ne!(proc_state(pid), Some('Z'));
    });
}

#[test]
fn try_wait_then_wait() {
    block_on(async {
        let mut child = Command::new("sleep").arg("0.2").spawn().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        let status = child.wait().await.unwrap();
        assert!(status.success());
        assert_eq!(child.try_wait().unwrap(), Some(status));
    });
}

#[test]
fn a_missing_program_is_not_found() {
    block_on(async {
        let err = Command::new("/nonexistent/weft-no-such-program")
            .spawn()
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let err = Command::new("weft-no-such-program-in-path").output().await;
        assert_eq!(err.unwrap_err().kind(), io::ErrorKind::NotFound);
    });
}

#[test]
fn spawning_piped_stdio_outside_a_reactor_is_an_error() {
    let err = Command::new("cat")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_err();
    assert!(err.to_string().contains("weft runtime"), "{err}");
}

/// Spawns and waits `true` until `pid` is neither a zombie nor (possibly) about to become
/// one; each spawn and wait sweeps the orphan queue.
async fn assert_reaped(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Command::new("true").status().await.unwrap().success());
        match proc_state(pid) {
            None => return,
            Some(_) if Instant::now() < deadline => nap(Duration::from_millis(20)).await,
            Some(state) => panic!("process {pid} is still there in state {state}"),
        }
    }
}

#[test]
fn a_dropped_child_is_reaped() {
    block_on(async {
        let child = Command::new("sleep").arg("0.1").spawn().unwrap();
        let pid = child.id().unwrap();
        drop(child);
        assert_reaped(pid).await;
    });
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    block_on(async {
        let child = Command::new("sleep")
            .arg("30")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        drop(child);
        assert_reaped(pid).await;
    });
}

#[test]
fn fifty_children_at_once() {
    block_on(async {
        let mut children: Vec<_> = (0..50)
            .map(|i| {
                Command::new("sh")
                    .args(["-c", &format!("sleep 0.0{}; exit {i}", i % 10)])
                    .spawn()
                    .unwrap()
            })
            .collect();
        let waits: Vec<Pin<Box<dyn Future<Output = io::Result<ExitStatus>>>>> = children
            .iter_mut()
            .map(|c| Box::pin(c.wait()) as Pin<Box<dyn Future<Output = _>>>)
            .collect();
        for (i, status) in join_all(waits).await.into_iter().enumerate() {
            assert_eq!(status.unwrap().code(), Some(i as i32));
        }
    });
}

#[test]
fn sigchld_fallback_waits_and_reaps() {
    block_on(async {
        // Twenty children waited through SIGCHLD instead of a pidfd.
        let mut children: Vec<_> = (0..20)
            .map(|i| {
                Command::new("sh")
                    .args(["-c", &format!("exit {i}")])
                    .force_sigchld_wait(true)
                    .spawn()
                    .unwrap()
            })
            .collect();
        assert!(children.iter().all(|c| !process::uses_pidfd(c)));
        let waits: Vec<Pin<Box<dyn Future<Output = io::Result<ExitStatus>>>>> = children
            .iter_mut()
            .map(|c| Box::pin(c.wait()) as Pin<Box<dyn Future<Output = _>>>)
            .collect();
        for (i, status) in join_all(waits).await.into_iter().enumerate() {
            assert_eq!(status.unwrap().code(), Some(i as i32));
        }

        // A killed child, waited through SIGCHLD.
        let mut child = Command::new("sleep")
            .arg("10")
            .force_sigchld_wait(true)
            .spawn()
            .unwrap();
        child.kill().await.unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGKILL));
    });
}

#[test]
fn a_sigchld_listener_reaps_orphans_without_spawning() {
    block_on(async {
        let mut sigchld = signal(SignalKind::child()).unwrap();
        let child = Command::new("sleep").arg("0.1").spawn().unwrap();
        let pid = child.id().unwrap();
        drop(child);
        // No spawn or wait from here: the SIGCHLD listener's drain sweeps the queue.
        let deadline = Instant::now() + Duration::from_secs(10);
        while proc_state(pid).is_some() {
            assert!(Instant::now() < deadline, "{pid} was not reaped");
            let mut recv = Box::pin(sigchld.recv());
            let _ = common_sp::poll_once(&mut recv).await;
            drop(recv);
            nap(Duration::from_millis(20)).await;
        }
    });
}

#[test]
fn pidfd_is_used_where_available() {
    block_on(async {
        let mut child = Command::new("true").spawn().unwrap();
        // Informative only: a sandbox may forbid pidfd_open, and then SIGCHLD is used.
        eprintln!("pidfd in use: {}", process::uses_pidfd(&child));
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn command_from_std_and_debug() {
    let mut std_cmd = std::process::Command::new("sh");
    std_cmd.args(["-c", "exit 5"]);
    let mut cmd = Command::from(std_cmd);
    assert!(format!("{cmd:?}").contains("sh"));
    assert_eq!(cmd.as_std().get_program(), "sh");
    cmd.as_std_mut().arg("ignored");
    let status = block_on(cmd.status()).unwrap();
    assert_eq!(status.code(), Some(5));
    let _ = process::orphans_pending();
}

#[test]
fn the_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Command>();
    send_sync::<process::Child>();
    send_sync::<process::ChildStdin>();
    send_sync::<process::ChildStdout>();
    send_sync::<process::ChildStderr>();
    send_sync::<weft_reactor::signal::unix::Signal>();
    fn send<T: Send>(_: &T) {}
    send(&weft_reactor::signal::ctrl_c());
}
