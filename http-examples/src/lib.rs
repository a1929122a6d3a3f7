//! The HTTP examples, hyper 1.x on weft (`weft::hyper`), kept in a package of their own so
//! that they build with the facade's `hyper` feature from a plain command:
//!
//! ```text
//! cargo run --release --example fetch_many    # many requests at once, against its own server
//! cargo run --release --example http_server   # a hyper server on weft (127.0.0.1:3000)
//! ```
//!
//! The programs are in `examples/`; this library is empty.
