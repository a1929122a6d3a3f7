//! The few socket calls std does not offer: non-blocking creation and connect, `listen`
//! with our backlog, `accept4`, `SO_LINGER`, and the conversions between std's addresses
//! and the kernel's.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

/// The listen backlog (the kernel caps it at `net.core.somaxconn`).
const BACKLOG: libc::c_int = 4096;

fn cvt(res: libc::c_int) -> io::Result<libc::c_int> {
    if res == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(res)
    }
}

/// A new non-blocking, close-on-exec socket.
pub(crate) fn socket(domain: libc::c_int, ty: libc::c_int) -> io::Result<OwnedFd> {
    let flags = ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: `socket` takes no pointers.
    let fd = cvt(unsafe { libc::socket(domain, flags, 0) })?;
    // SAFETY: `fd` was just returned by `socket`, and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A socket address in the kernel's layout: the first `len` bytes of `storage`.
///
/// Only the constructors here make one, and each writes a complete `sockaddr_*` of `len`
/// bytes at the start of `storage` (which is large enough and aligned for every family),
/// so [`SockAddr::as_ptr`] and [`SockAddr::len`] always describe a valid address.
pub(crate) struct SockAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl SockAddr {
    /// An address of family-specific type `T`, stored at the start of the storage.
    fn new<T>(addr: T, len: usize) -> SockAddr {
        const {
            assert!(size_of::<T>() <= size_of::<libc::sockaddr_storage>());
            assert!(std::mem::align_of::<T>() <= std::mem::align_of::<libc::sockaddr_storage>());
        };
        assert!(len <= size_of::<T>());
        // SAFETY: `sockaddr_storage` is plain data, for which all zeroes is a valid value.
        let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
        // SAFETY: `T` fits in the storage and needs no stricter alignment (checked above),
        // and the storage is exclusively borrowed.
        unsafe {
            (&mut storage as *mut libc::sockaddr_storage)
                .cast::<T>()
                .write(addr)
        };
        SockAddr {
            storage,
            len: len as libc::socklen_t,
        }
    }

    fn as_ptr(&self) -> *const libc::sockaddr {
        (&self.storage as *const libc::sockaddr_storage).cast()
    }

    fn len(&self) -> libc::socklen_t {
        self.len
    }
}

/// `addr` as a kernel socket address.
pub(crate) fn sockaddr(addr: &SocketAddr) -> SockAddr {
    match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            SockAddr::new(sin, size_of::<libc::sockaddr_in>())
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            SockAddr::new(sin6, size_of::<libc::sockaddr_in6>())
        }
    }
}

/// `path` as a Unix-domain socket address (a leading NUL makes it an abstract address).
fn unix_sockaddr(path: &Path) -> io::Result<SockAddr> {
    // SAFETY: plain data, all zeroes valid.
    let mut addr: libc::sockaddr_un = unsafe { zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    // Abstract addresses (a leading NUL) are not NUL-terminated; paths are.
    let abstract_ = bytes.first() == Some(&0);
    if bytes.is_empty() || bytes.len() + usize::from(!abstract_) > addr.sun_path.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a Unix socket path must be non-empty and shorter than SUN_LEN",
        ));
    }
    if !abstract_ && bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a Unix socket path must not contain NUL bytes",
        ));
    }
    for (dst, &src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = src as libc::c_char;
    }
    let base = std::mem::offset_of!(libc::sockaddr_un, sun_path);
    Ok(SockAddr::new(
        addr,
        base + bytes.len() + usize::from(!abstract_),
    ))
}

/// The address the kernel wrote to `storage`.
pub(crate) fn socket_addr(storage: &libc::sockaddr_storage) -> io::Result<SocketAddr> {
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a `sockaddr_in`; storage is large
            // enough and aligned for it.
            let sin =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for `sockaddr_in6`.
            let sin6 = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "unexpected socket address family",
        )),
    }
}

/// The socket domain of `addr`.
pub(crate) fn domain(addr: &SocketAddr) -> libc::c_int {
    match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    }
}

/// Starts connecting `fd` to `addr`: `Ok` when connected or in progress (wait for
/// writability, then check `SO_ERROR`).
pub(crate) fn connect(fd: BorrowedFd<'_>, addr: &SockAddr) -> io::Result<()> {
    // SAFETY: `fd` is open (borrowed), and `addr` describes a valid socket address of
    // `addr.len()` bytes (the invariant of `SockAddr`).
    match cvt(unsafe { libc::connect(fd.as_raw_fd(), addr.as_ptr(), addr.len()) }) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A non-blocking TCP socket connecting to `addr`.
pub(crate) fn connect_tcp(addr: &SocketAddr) -> io::Result<std::net::TcpStream> {
    let fd = socket(domain(addr), libc::SOCK_STREAM)?;
    connect(fd.as_fd(), &sockaddr(addr))?;
    Ok(std::net::TcpStream::from(fd))
}

fn setsockopt<T>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: T,
) -> io::Result<()> {
    // SAFETY: `fd` is open (borrowed), and `value` is a live `T` of the size passed.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// A non-blocking TCP listener on `addr`, with `SO_REUSEADDR` (as std sets it).
pub(crate) fn listen_tcp(addr: &SocketAddr) -> io::Result<std::net::TcpListener> {
    let fd = socket(domain(addr), libc::SOCK_STREAM)?;
    setsockopt(
        fd.as_fd(),
        libc::SOL_SOCKET,
        libc::SO_REUSEADDR,
        1 as libc::c_int,
    )?;
    let addr = sockaddr(addr);
    // SAFETY: `fd` is open (owned), and `addr` is a valid address of `addr.len()` bytes.
    cvt(unsafe { libc::bind(fd.as_raw_fd(), addr.as_ptr(), addr.len()) })?;
    // SAFETY: no pointers.
    cvt(unsafe { libc::listen(fd.as_raw_fd(), BACKLOG) })?;
    Ok(std::net::TcpListener::from(fd))
}

/// Accepts a connection on the listening socket `fd`, non-blocking and close-on-exec.
pub(crate) fn accept_tcp(fd: BorrowedFd<'_>) -> io::Result<(std::net::TcpStream, SocketAddr)> {
    // SAFETY: plain data, all zeroes valid.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `fd` is open (borrowed); `storage` and `len` are live and `len` is the
    // storage's size.
    let conn = cvt(unsafe {
        libc::accept4(
            fd.as_raw_fd(),
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    })?;
    // SAFETY: `conn` was just returned by `accept4`, and nothing else owns it.
    let stream = std::net::TcpStream::from(unsafe { OwnedFd::from_raw_fd(conn) });
    Ok((stream, socket_addr(&storage)?))
}

/// Sets `SO_LINGER` on `fd`.
pub(crate) fn set_linger(fd: BorrowedFd<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: libc::c_int::from(linger.is_some()),
        l_linger: linger.map_or(0, |d| {
            d.as_secs().min(libc::c_int::MAX as u64) as libc::c_int
        }),
    };
    setsockopt(fd, libc::SOL_SOCKET, libc::SO_LINGER, value)
}

/// Reads `SO_LINGER` of `fd`.
pub(crate) fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<Duration>> {
    // SAFETY: plain data, all zeroes valid.
    let mut value: libc::linger = unsafe { zeroed() };
    let mut len = size_of::<libc::linger>() as libc::socklen_t;
    // SAFETY: `fd` is open (borrowed); `value` and `len` are live and `len` is the
    // value's size.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&mut value as *mut libc::linger).cast(),
            &mut len,
        )
    })?;
    Ok((value.l_onoff != 0).then(|| Duration::from_secs(value.l_linger as u64)))
}

/// A non-blocking Unix stream socket connecting to `path`.
pub(crate) fn connect_unix(path: &Path) -> io::Result<std::os::unix::net::UnixStream> {
    let addr = unix_sockaddr(path)?;
    let fd = socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
    connect(fd.as_fd(), &addr)?;
    Ok(std::os::unix::net::UnixStream::from(fd))
}
