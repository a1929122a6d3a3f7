//! `join!`, `try_join!` and `select!`, and the hidden helpers they expand to.
//!
//! # How they are built
//!
//! All three are `macro_rules!`. Each future is pinned on the stack in its own local
//! variable. To name N variables, the helper macros recurse once per future and each step
//! writes the identifier `fut`: identifiers written by different macro expansions are
//! different variables (hygiene), so the final step can declare `let mut fut = ...;` N times
//! without one shadowing another.
//!
//! `select!` must give back the output of whichever branch won, with a different type per
//! branch, from one `poll_fn`. Branch `k` returns `Some(Out::Bk(out))` of the flat
//! 64-variant enum `support::Out`, typed `Option<Out<_, .., _, (), ..>>`: one inferred
//! parameter per branch, `()` for the variants no branch uses (`__select_ty!`), and
//! `__select_variant!` turns a branch's position (`skip`: one token per branch before it)
//! into its variant's name. The type is flat, not a chain of nested `Either`s, because
//! rustc's type checking of a 64-deep `Either<_, Either<_, ..>>` took over a minute (and
//! the bit numbers are `u32` literals, not bare ones: 64 untyped `0 + 1 + ..` shift
//! amounts cost rustc another 7 s);
//! `None` means every branch is disabled. The handlers run after the `poll_fn` completed and
//! the futures were dropped, outside any closure, so they can use `.await`, `return`,
//! `break`, `continue` and `?` of the enclosing code.

/// Runs several futures concurrently in the current task and waits for all of them,
/// evaluating to the tuple of their outputs: asyncio's `gather(a, b, ...)` for a fixed set
/// of futures of different types.
///
/// Must be used inside async code (it `.await`s). The futures are polled in the calling
/// task, not spawned: they make progress concurrently, not in parallel (spawn them to use
/// more threads). Each poll starts with a different future, so a future that is always
/// ready cannot starve the others. Up to about 120 futures (each is one step of macro
/// recursion under the default `recursion_limit`); `join!()` is `()`. For a runtime-sized collection use
/// [`join_all`](crate::future::join_all).
///
/// ```
/// use weft::task::yield_now;
///
/// async fn fetch(name: &str, delay: usize) -> String {
///     for _ in 0..delay {
///         yield_now().await;
///     }
///     format!("<{name}>")
/// }
///
/// weft::run(async {
///     let (a, b, n) = weft::join!(fetch("a", 3), fetch("b", 1), async { 42 });
///     assert_eq!((a.as_str(), b.as_str(), n), ("<a>", "<b>", 42));
/// });
/// ```
#[macro_export]
macro_rules! join {
    ($($fut:expr),* $(,)?) => {
        $crate::__join_impl!(@munch () $($fut,)*)
    };
}

/// Like [`join!`], for futures that return `Result<_, E>` (the same `E` for all): evaluates
/// to `Ok((t1, t2, ..))` when all succeed, or to the first `Err` as soon as one appears,
/// dropping the futures still running.
///
/// ```
/// use weft::task::yield_now;
///
/// async fn parse(s: &str) -> Result<i32, String> {
///     yield_now().await;
///     s.parse::<i32>().map_err(|e| format!("{s:?}: {e}"))
/// }
///
/// weft::run(async {
///     let ok = weft::try_join!(parse("1"), parse("2"), async { Ok(3) });
///     assert_eq!(ok, Ok((1, 2, 3)));
///
///     let err = weft::try_join!(parse("1"), parse("x"), std::future::pending::<Result<i32, String>>());
///     assert!(err.unwrap_err().starts_with("\"x\""));
/// });
/// ```
#[macro_export]
macro_rules! try_join {
    ($($fut:expr),* $(,)?) => {
        $crate::__try_join_impl!(@munch () $($fut,)*)
    };
}

/// Waits on several futures at once and runs the handler of the first one to complete:
/// asyncio's `wait(..., return_when=FIRST_COMPLETED)` with a `match` on the winner, as in
/// `tokio::select!`.
///
/// ```text
/// weft::select! {
///     [biased;]
///     <pattern> = <future> [, if <precondition>] => <handler>,
///     ...
///     [else => <handler>]
/// }
/// ```
///
/// Must be used inside async code. What happens:
///
/// 1. Every `<precondition>` is evaluated; a branch whose precondition is `false` is
///    *disabled*.
/// 2. Every `<future>` expression is evaluated (also those of disabled branches, which are
///    then never polled) and pinned on the stack.
/// 3. The enabled futures are polled concurrently, in the calling task. Each poll starts at
///    a random branch (so none is favoured), or in the written order after `biased;`.
/// 4. When one completes, its output is matched against its `<pattern>`. If it does not
///    match, the branch is disabled and the others keep going. If it matches, all the
///    futures are dropped, then `<handler>` runs with the pattern's bindings, and its value
///    is the value of the `select!`.
/// 5. If every branch is disabled, the `else` handler runs; without an `else` branch that
///    panics with "all branches are disabled and there is no else branch".
///
/// Handlers run outside any closure, after the futures are gone, so they may `.await`,
/// `return`, `?`, and `break` or `continue` a loop around the `select!`, and may use what
/// the futures borrowed. A handler is a block (a comma after it is optional) or an
/// expression followed by a comma (except the last). `else` must come last. Up to 64
/// branches.
///
/// As in `tokio::select!`, the output is first matched *by reference* (to decide whether
/// the branch is disabled without consuming it), then by value for the handler. So inside a
/// pattern, `mut` bindings (`Some(mut v)`) work only for `Copy` values, and edition 2024
/// rejects `ref`/`mut` under a constructor: bind plainly and rebind in the handler
/// (`Some(v) => { let mut v = v; .. }`). A top-level `mut v = fut` is fine.
///
/// Cancellation: the futures of the branches that lose are dropped. Use futures whose drop
/// loses nothing (a `recv()` that did not complete has not taken a message), or pass
/// `&mut fut` to keep a future alive across several `select!`s.
///
/// ```
/// use weft::task::yield_now;
///
/// async fn after(yields: usize, value: u32) -> u32 {
///     for _ in 0..yields {
///         yield_now().await;
///     }
///     value
/// }
///
/// weft::run(async {
///     // The first to complete wins.
///     let winner = weft::select! {
///         v = after(10, 1) => v,
///         v = after(1, 2) => v * 100,
///     };
///     assert_eq!(winner, 200);
///
///     // `biased;` polls in order: with both ready, the first branch always wins.
///     let first = weft::select! {
///         biased;
///         a = async { "a" } => a,
///         b = async { "b" } => b,
///     };
///     assert_eq!(first, "a");
///
///     // A false precondition disables a branch; its future is evaluated, never polled.
///     let have_cache = false;
///     let source = weft::select! {
///         v = after(0, 1), if have_cache => format!("cache {v}"),
///         v = after(3, 2) => format!("network {v}"),
///     };
///     assert_eq!(source, "network 2");
///
///     // An output that does not match its pattern disables the branch; with every branch
///     // disabled, `else` runs.
///     let found = weft::select! {
///         Some(v) = async { None::<u32> } => v,
///         else => 0,
///     };
///     assert_eq!(found, 0);
///
///     // Handlers run in the enclosing code: `break` leaves the loop around the select!.
///     let mut ticks = 0;
///     let mut stop = std::pin::pin!(after(5, 99));
///     let stopped_with = loop {
///         weft::select! {
///             biased;
///             v = &mut stop => break v,
///             _ = yield_now() => {
///                 ticks += 1;
///                 continue;
///             }
///         }
///     };
///     assert_eq!(stopped_with, 99);
///     assert!(ticks >= 1);
/// });
/// ```
#[macro_export]
macro_rules! select {
    (biased; $($rest:tt)*) => {
        $crate::__select_impl!(@parse (true) () () $($rest)*)
    };
    ($($rest:tt)*) => {
        $crate::__select_impl!(@parse (false) () () $($rest)*)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __join_impl {
    (@munch ()) => {
        ()
    };
    // One step per future: record it with a fresh `fut` identifier (see the module docs).
    (@munch ($($acc:tt)*) $fut:expr, $($rest:tt)*) => {
        $crate::__join_impl!(@munch ($($acc)* [fut $fut]) $($rest)*)
    };
    (@munch ($([$name:ident $fut:expr])*)) => {{
        $(
            let mut $name = $crate::__private::pin!($crate::__private::MaybeDone::new(
                $crate::__private::IntoFuture::into_future($fut),
            ));
        )*
        let mut __skip_next: u32 = 0;
        $crate::__private::poll_fn(|__cx| {
            const __WEFT_JOIN_COUNT: u32 = 0 $(+ $crate::__replace!($name 1))*;
            let mut __pending = false;
            let mut __to_run = __WEFT_JOIN_COUNT;
            // Start one future further each poll: an always-ready first future cannot use
            // up the task's budget before the others get polled.
            let mut __skip = __skip_next;
            __skip_next = if __skip + 1 >= __WEFT_JOIN_COUNT { 0 } else { __skip + 1 };
            while __to_run > 0 {
                $(
                    if __skip == 0 {
                        if __to_run > 0 {
                            __to_run -= 1;
                            if $crate::__private::Future::poll($name.as_mut(), __cx).is_pending() {
                                __pending = true;
                            }
                        }
                    } else {
                        __skip -= 1;
                    }
                )*
            }
            if __pending {
                $crate::__private::Poll::Pending
            } else {
                $crate::__private::Poll::Ready(())
            }
        })
        .await;
        ($($crate::__private::take_done($name.as_mut()),)*)
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __try_join_impl {
    (@munch ($($acc:tt)*) $fut:expr, $($rest:tt)*) => {
        $crate::__try_join_impl!(@munch ($($acc)* [fut $fut]) $($rest)*)
    };
    (@munch ($([$name:ident $fut:expr])*)) => {{
        $(
            let mut $name = $crate::__private::pin!($crate::__private::MaybeDone::new(
                $crate::__private::IntoFuture::into_future($fut),
            ));
        )*
        let mut __skip_next: u32 = 0;
        let __joined = $crate::__private::poll_fn(|__cx| {
            const __WEFT_JOIN_COUNT: u32 = 0 $(+ $crate::__replace!($name 1))*;
            let mut __pending = false;
            let mut __to_run = __WEFT_JOIN_COUNT;
            let mut __skip = __skip_next;
            __skip_next = if __skip + 1 >= __WEFT_JOIN_COUNT { 0 } else { __skip + 1 };
            while __to_run > 0 {
                $(
                    if __skip == 0 {
                        if __to_run > 0 {
                            __to_run -= 1;
                            match $crate::__private::poll_try($name.as_mut(), __cx) {
                                $crate::__private::Poll::Pending => __pending = true,
                                $crate::__private::Poll::Ready(::core::result::Result::Ok(())) => {}
                                $crate::__private::Poll::Ready(::core::result::Result::Err(e)) => {
                                    return $crate::__private::Poll::Ready(::core::result::Result::Err(e));
                                }
                            }
                        }
                    } else {
                        __skip -= 1;
                    }
                )*
            }
            if __pending {
                $crate::__private::Poll::Pending
            } else {
                $crate::__private::Poll::Ready(::core::result::Result::Ok(()))
            }
        })
        .await;
        match __joined {
            ::core::result::Result::Ok(()) => ::core::result::Result::Ok((
                $($crate::__private::take_ok($name.as_mut()),)*
            )),
            ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
        }
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_impl {
    // @parse (biased) (count: one `_` per branch so far) (branches) input...
    //
    // Each branch becomes `[fut (skip) (pattern) (future) (precondition) (handler)]`, where
    // `fut` is a fresh identifier and `skip` holds as many `_` as branches before it.

    // The end, with or without `else`.
    (@parse $b:tt $c:tt $br:tt else => $else:block $(,)?) => {
        $crate::__select_impl!(@emit $b $br $else)
    };
    (@parse $b:tt $c:tt $br:tt else => $else:expr $(,)?) => {
        $crate::__select_impl!(@emit $b $br { $else })
    };
    (@parse $b:tt $c:tt $br:tt) => {
        $crate::__select_impl!(@emit $b $br {
            ::core::panic!("all branches are disabled and there is no else branch")
        })
    };
    // `, if precondition =>` / `=>`, each with a block handler (comma optional) ...
    (@parse $b:tt ($($c:tt)*) ($($br:tt)*)
        $p:pat = $f:expr, if $pre:expr => $h:block, $($rest:tt)*) => {
        $crate::__select_impl!(@parse $b ($($c)* _) ($($br)* [fut ($($c)*) ($p) ($f) ($pre) ($h)]) $($rest)*)
    };
    (@parse $b:tt ($($c:tt)*) ($($br:tt)*)
        $p:pat = $f:expr => $h:block, $($rest:tt)*) => {
        $crate::__select_impl!(@parse $b ($($c)* _) ($($br)* [fut ($($c)*) ($p) ($f) (true) ($h)]) $($rest)*)
    };
    (@parse $b:tt ($($c:tt)*) ($($br:tt)*)
        $p:pat = $f:expr, if $pre:expr => $h:block $($rest:tt)*) => {
        $crate::__select_impl!(@parse $b ($($c)* _) ($($br)* [fut ($($c)*) ($p) ($f) ($pre) ($h)]) $($rest)*)
    };
    (@parse $b:tt ($($c:tt)*) ($($br:tt)*)
        $p:pat = $f:expr => $h:block $($rest:tt)*) => {
        $crate::__select_impl!(@parse $b ($($c)* _) ($($br)* [fut ($($c)*) ($p) ($f) (true) ($h)]) $($rest)*)
    };
    // ... or an expression handler, last or followed by a comma.
    (@parse $b:tt ($($c:tt)*) ($($br:tt)*)
        $p:pat = $f:expr, if $pre:expr => $h:expr) => {
        $crate::__select_impl!(@parse $b ($($c)* _) ($($br)* [fut ($($c)*) ($p) ($f) ($pre) ({ $h })]))
    };
    (@parse $b:tt ($($c:tt)*) ($($br:tt)*)
        $p:pat = $f:expr => $h:expr) => {
        $crate::__select_impl!(@parse $b ($($c)* _) ($($br)* [fut ($($c)*) ($p) ($f) (true) ({ $h })]))
    };
    (@parse $b:tt ($($c:tt)*) ($($br:tt)*)
        $p:pat = $f:expr, if $pre:expr => $h:expr, $($rest:tt)*) => {
        $crate::__select_impl!(@parse $b ($($c)* _) ($($br)* [fut ($($c)*) ($p) ($f) ($pre) ({ $h })]) $($rest)*)
    };
    (@parse $b:tt ($($c:tt)*) ($($br:tt)*)
        $p:pat = $f:expr => $h:expr, $($rest:tt)*) => {
        $crate::__select_impl!(@parse $b ($($c)* _) ($($br)* [fut ($($c)*) ($p) ($f) (true) ({ $h })]) $($rest)*)
    };
    (@parse $($rest:tt)*) => {
        ::core::compile_error!(
            "weft::select!: expected branches `<pattern> = <future> [, if <condition>] => <handler>,` \
             optionally preceded by `biased;` and followed by `else => <handler>`"
        )
    };

    (@emit ($biased:expr)
        ($([$name:ident ($($skip:tt)*) ($p:pat) ($f:expr) ($pre:expr) ($h:block)])*)
        $else:block
    ) => {{
        let __output = {
            const __WEFT_SELECT_BRANCHES: u32 = 0 $(+ $crate::__replace!($name 1))*;
            const _: () = ::core::assert!(__WEFT_SELECT_BRANCHES <= 64, "weft::select! supports up to 64 branches");
            // Bit k set: branch k is disabled. Preconditions first, then the futures.
            let mut __disabled: u64 = 0;
            $(
                if !$pre {
                    __disabled |= 1u64 << (0u32 $(+ $crate::__replace!($skip 1u32))*);
                }
            )*
            $(
                let mut $name = $crate::__private::pin!($crate::__private::IntoFuture::into_future($f));
            )*
            $crate::__private::poll_fn(|__cx| -> $crate::__private::Poll<
                ::core::option::Option<$crate::__select_ty!($($name)*)>
            > {
                let mut __pending = false;
                let mut __to_run = __WEFT_SELECT_BRANCHES;
                let mut __skip = if $biased { 0 } else { $crate::__private::random_below(__WEFT_SELECT_BRANCHES) };
                while __to_run > 0 {
                    $(
                        if __skip == 0 {
                            if __to_run > 0 {
                                __to_run -= 1;
                                let __bit = 1u64 << (0u32 $(+ $crate::__replace!($skip 1u32))*);
                                if __disabled & __bit == 0 {
                                    if let $crate::__private::Poll::Ready(__out) =
                                        $crate::__private::Future::poll($name.as_mut(), __cx)
                                    {
                                        #[allow(unused_variables, unused_mut, unreachable_patterns)]
                                        let __matches = ::core::matches!(&__out, $p);
                                        if __matches {
                                            return $crate::__private::Poll::Ready(
                                                ::core::option::Option::Some(
                                                    $crate::__select_variant!(($($skip)*) __out),
                                                ),
                                            );
                                        }
                                        __disabled |= __bit;
                                    } else {
                                        __pending = true;
                                    }
                                }
                            }
                        } else {
                            __skip -= 1;
                        }
                    )*
                }
                if __pending {
                    $crate::__private::Poll::Pending
                } else {
                    $crate::__private::Poll::Ready(::core::option::Option::None)
                }
            })
            .await
            // The futures are dropped here, before any handler runs.
        };
        // An `if let` chain rather than a `match`: it needs no catch-all arm, which would be
        // an unreachable pattern when every branch pattern is irrefutable.
        if ::core::option::Option::is_none(&__output) $else
        $(
            else if let ::core::option::Option::Some($crate::__select_variant!(($($skip)*) $p)) = __output $h
        )*
        else {
            ::core::unreachable!("weft::select!: the output matched its pattern when polled")
        }
    }};
}

/// `Out<_, .., _, (), .., ()>`: `_` for each token (branch), `()` for the rest of the 64
/// parameters. Eight branches per step, to stay far from the recursion limit.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_ty {
    (@ ($_1:tt $_2:tt $_3:tt $_4:tt $_5:tt $_6:tt $_7:tt $_8:tt $($branch:tt)*)
        ($u1:tt $u2:tt $u3:tt $u4:tt $u5:tt $u6:tt $u7:tt $u8:tt $($unit:tt)*) ($($ty:tt)*)) => {
        $crate::__select_ty!(@ ($($branch)*) ($($unit)*) ($($ty)* _, _, _, _, _, _, _, _,))
    };
    (@ ($_t:tt $($branch:tt)*) ($_u:tt $($unit:tt)*) ($($ty:tt)*)) => {
        $crate::__select_ty!(@ ($($branch)*) ($($unit)*) ($($ty)* _,))
    };
    (@ () ($($unit:tt)*) ($($ty:tt)*)) => {
        $crate::__private::Out<$($ty)* $($unit),*>
    };
    // The entry point, last: it would match the `@` steps too.
    ($($branch:tt)*) => {
        $crate::__select_ty!(@ ($($branch)*) (() () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () () ()) ())
    };
}

/// `Out::Bk(x)` where `k` is the number of tokens in the first group (the branches before
/// this one); an expression or a pattern (`x` is one token tree: an identifier or a
/// forwarded `pat` fragment). Eight names dropped per step, like `__select_ty!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_variant {
    (($($skip:tt)*) $x:tt) => {
        $crate::__select_variant!(@ ($($skip)*) (B0 B1 B2 B3 B4 B5 B6 B7 B8 B9 B10 B11 B12 B13 B14 B15 B16 B17 B18 B19 B20 B21 B22 B23 B24 B25 B26 B27 B28 B29 B30 B31 B32 B33 B34 B35 B36 B37 B38 B39 B40 B41 B42 B43 B44 B45 B46 B47 B48 B49 B50 B51 B52 B53 B54 B55 B56 B57 B58 B59 B60 B61 B62 B63) $x)
    };
    (@ ($_1:tt $_2:tt $_3:tt $_4:tt $_5:tt $_6:tt $_7:tt $_8:tt $($skip:tt)*)
        ($n1:tt $n2:tt $n3:tt $n4:tt $n5:tt $n6:tt $n7:tt $n8:tt $($name:tt)*) $x:tt) => {
        $crate::__select_variant!(@ ($($skip)*) ($($name)*) $x)
    };
    (@ ($_t:tt $($skip:tt)*) ($_n:tt $($name:tt)*) $x:tt) => {
        $crate::__select_variant!(@ ($($skip)*) ($($name)*) $x)
    };
    (@ () ($variant:ident $($name:tt)*) $x:tt) => {
        $crate::__private::Out::$variant($x)
    };
}

/// Replaces a token by an expression (counting helper).
#[doc(hidden)]
#[macro_export]
macro_rules! __replace {
    ($_t:tt $sub:expr) => {
        $sub
    };
}

/// What the macros' expansions name through `$crate::__private`.
pub(crate) mod support {
    use std::hash::{BuildHasher, Hasher};
    use std::pin::Pin;
    use std::task::Context;

    pub use core::pin::pin;
    pub use std::future::{poll_fn, Future, IntoFuture};
    pub use std::task::Poll;
    pub use weft_future::MaybeDone;

    use weft_core::FastRand;

    /// The output of `select!`: variant `Bk` holds the output of branch `k`. Flat, so that
    /// type checking a `select!` stays linear in its branches; the parameters of variants
    /// no branch uses are `()`. The variants need no docs of their own: `Bk` is branch `k`.
    #[allow(missing_docs)]
    #[derive(Debug)]
    #[rustfmt::skip]
    pub enum Out<
        T0, T1, T2, T3, T4, T5, T6, T7,
        T8, T9, T10, T11, T12, T13, T14, T15,
        T16, T17, T18, T19, T20, T21, T22, T23,
        T24, T25, T26, T27, T28, T29, T30, T31,
        T32, T33, T34, T35, T36, T37, T38, T39,
        T40, T41, T42, T43, T44, T45, T46, T47,
        T48, T49, T50, T51, T52, T53, T54, T55,
        T56, T57, T58, T59, T60, T61, T62, T63,
    > {
        B0(T0), B1(T1), B2(T2), B3(T3), B4(T4), B5(T5), B6(T6), B7(T7),
        B8(T8), B9(T9), B10(T10), B11(T11), B12(T12), B13(T13), B14(T14), B15(T15),
        B16(T16), B17(T17), B18(T18), B19(T19), B20(T20), B21(T21), B22(T22), B23(T23),
        B24(T24), B25(T25), B26(T26), B27(T27), B28(T28), B29(T29), B30(T30), B31(T31),
        B32(T32), B33(T33), B34(T34), B35(T35), B36(T36), B37(T37), B38(T38), B39(T39),
        B40(T40), B41(T41), B42(T42), B43(T43), B44(T44), B45(T45), B46(T46), B47(T47),
        B48(T48), B49(T49), B50(T50), B51(T51), B52(T52), B53(T53), B54(T54), B55(T55),
        B56(T56), B57(T57), B58(T58), B59(T59), B60(T60), B61(T61), B62(T62), B63(T63),
    }

    /// The output of a completed `MaybeDone`.
    #[track_caller]
    pub fn take_done<F: Future>(future: Pin<&mut MaybeDone<F>>) -> F::Output {
        future
            .take_output()
            .expect("join!: every future is done once the join completes")
    }

    /// Polls a `MaybeDone` of a `Result`-returning future: `Ready(Err(e))` takes the error
    /// out; `Ready(Ok(()))` means it completed with `Ok`.
    pub fn poll_try<T, E, F>(
        mut future: Pin<&mut MaybeDone<F>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), E>>
    where
        F: Future<Output = Result<T, E>>,
    {
        if future.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        if let Some(Err(_)) = future.as_mut().output_mut() {
            if let Some(Err(e)) = future.take_output() {
                return Poll::Ready(Err(e));
            }
        }
        Poll::Ready(Ok(()))
    }

    /// The `Ok` value of a completed `MaybeDone`.
    #[track_caller]
    pub fn take_ok<T, E, F>(future: Pin<&mut MaybeDone<F>>) -> T
    where
        F: Future<Output = Result<T, E>>,
    {
        match future.take_output() {
            Some(Ok(value)) => value,
            _ => unreachable!("try_join!: every future completed with Ok"),
        }
    }

    thread_local! {
        static RNG: FastRand = FastRand::new(
            // A per-thread random seed, from std's per-thread hashing keys.
            std::collections::hash_map::RandomState::new().build_hasher().finish(),
        );
    }

    /// A pseudo-random number in `0..n` (0 when `n` is 0), from a thread-local xorshift.
    pub fn random_below(n: u32) -> u32 {
        RNG.try_with(|rng| rng.below(n)).unwrap_or(0)
    }
}
