//! Networking: TCP, UDP and Unix-domain sockets driven by the runtime's reactor.
//!
//! The types implement futures-io's `AsyncRead` / `AsyncWrite`, so [`weft::io`](crate::io)'s
//! extension traits (`read_exact`, `write_all`, `copy`, `BufReader`, ...) work on them. They
//! need a runtime with I/O, which every runtime has unless its builder called
//! [`disable_io`](crate::runtime::Builder::disable_io).
//!
//! ```
//! use weft::io::{AsyncReadExt, AsyncWriteExt};
//! use weft::net::{TcpListener, TcpStream};
//!
//! weft::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = weft::spawn(async move {
//!         let (mut socket, _) = listener.accept().await?;
//!         let mut buf = [0; 5];
//!         socket.read_exact(&mut buf).await?;
//!         socket.write_all(&buf).await?; // echo
//!         std::io::Result::Ok(())
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut echoed = [0; 5];
//!     client.read_exact(&mut echoed).await?;
//!     assert_eq!(&echoed, b"hello");
//!     server.await.unwrap()
//! })
//! .unwrap();
//! ```

pub use weft_reactor::net::*;
