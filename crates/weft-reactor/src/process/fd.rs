//! File-descriptor flags the process module sets: on the pipes to a child (`child.rs`) and
//! on the pidfd the reaper waits on (`reaper.rs`).

use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// Sets `O_NONBLOCK` on `fd` (on its open file description: the child's end of a pipe is
/// another description and stays blocking).
pub(crate) fn set_nonblocking(fd: impl AsFd) -> io::Result<()> {
    let fd = fd.as_fd().as_raw_fd();
    // SAFETY: F_GETFL on a descriptor we hold open reads its flags; no memory involved.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::O_NONBLOCK != 0 {
        return Ok(());
    }
    // SAFETY: F_SETFL with an int argument on a descriptor we hold open.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
