//! `expand` on strings: every misuse gives its message on the right tokens (the
//! `span-locations` feature of proc-macro2, on for these tests, lets a span give back its
//! source text), and the right uses build the right runtime.

use proc_macro2::TokenStream;

use crate::args::Kind;
use crate::expand::{expand, fallback};

fn tokens(s: &str) -> TokenStream {
    s.parse().expect("test input must tokenize")
}

/// Each error of the expansion: (message, the source text its span covers).
fn errors(attr: &str, item: &str, kind: Kind) -> Vec<(String, String)> {
    let e = expand(tokens(attr), tokens(item), kind).expect_err("expected an error");
    e.into_iter()
        .map(|e| {
            let text = e.span().source_text().unwrap_or_default();
            (e.to_string(), text)
        })
        .collect()
}

/// The one error of the expansion: (message, spanned text).
fn error(attr: &str, item: &str, kind: Kind) -> (String, String) {
    let mut all = errors(attr, item, kind);
    assert_eq!(all.len(), 1, "expected one error, got {all:?}");
    all.remove(0)
}

/// The expansion, as a string of tokens (spacing as `TokenStream`'s `Display` gives it).
fn expanded(attr: &str, item: &str, kind: Kind) -> String {
    let out = expand(tokens(attr), tokens(item), kind).expect("expected an expansion");
    // It must be one well-formed, non-async function.
    let f: syn::ItemFn = syn::parse2(out.clone()).expect("the expansion must parse as a fn");
    assert!(f.sig.asyncness.is_none());
    out.to_string()
}

const MAIN: &str = "async fn main() { run().await }";
const TEST: &str = "async fn it_works() { run().await }";

// ---- the item ----

#[test]
fn a_fn_without_async_is_refused_at_fn() {
    for kind in [Kind::Main, Kind::Test] {
        let (msg, at) = error("", "fn main() {}", kind);
        assert_eq!(
            msg,
            "the `async` keyword is missing from the function declaration"
        );
        assert_eq!(at, "fn");
    }
}

#[test]
fn a_struct_is_refused_at_struct() {
    let (msg, at) = error("", "struct Config { a: u8 }", Kind::Main);
    assert_eq!(msg, "#[weft::main] goes on an `async fn`, not on a struct");
    assert_eq!(at, "struct");
    let (msg, at) = error("", "impl Config {}", Kind::Test);
    assert_eq!(
        msg,
        "#[weft::test] goes on an `async fn`, not on an impl block"
    );
    assert_eq!(at, "impl");
    let (msg, _) = error("", "const X: u8 = 1;", Kind::Main);
    assert_eq!(msg, "#[weft::main] goes on an `async fn`, not on a const");
}

#[test]
fn main_with_arguments_is_refused_at_the_arguments() {
    let (msg, at) = error("", "async fn main(args: Vec<String>) {}", Kind::Main);
    assert_eq!(msg, "the main function cannot accept arguments");
    assert_eq!(at, "args: Vec<String>");
    let (msg, at) = error("", "async fn t(x: u8) {}", Kind::Test);
    assert_eq!(msg, "test functions cannot accept arguments");
    assert_eq!(at, "x: u8");
}

#[test]
fn generics_are_refused() {
    let (msg, at) = error("", "async fn main<T>() {}", Kind::Main);
    assert_eq!(msg, "the main function cannot have generic parameters");
    assert_eq!(at, "<T>");
}

#[test]
fn a_second_test_attribute_is_refused() {
    for attr in [
        "#[test]",
        "#[::core::prelude::v1::test]",
        "#[std::prelude::rust_2021::test]",
    ] {
        let item = format!("{attr} async fn t() {{}}");
        let (msg, at) = error("", &item, Kind::Test);
        assert!(msg.starts_with("a second test attribute"), "{msg}");
        assert_eq!(at, attr);
    }
    // `#[weft::main]` does not care, and other attributes named `..::test` are not `#[test]`.
    expanded("", "#[my::test] async fn t() {}", Kind::Test);
}

#[test]
fn every_misuse_is_reported_at_once() {
    let all = errors("flavor = 1", "fn main(x: u8) {}", Kind::Main);
    let msgs: Vec<&str> = all.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "the `async` keyword is missing from the function declaration",
            "the main function cannot accept arguments",
            "`flavor` takes a string: `flavor = \"multi_thread\"` or `flavor = \"current_thread\"`",
        ]
    );
}

// ---- the arguments ----

#[test]
fn unknown_arguments_are_named() {
    let (msg, at) = error("flavour = \"current_thread\"", MAIN, Kind::Main);
    assert_eq!(
        msg,
        "unknown argument `flavour` (the arguments are `flavor`, `worker_threads`, \
         `start_paused`, `crate`)"
    );
    assert_eq!(at, "flavour");
    // Also without a value, and positional ones.
    let (msg, _) = error("core_threads", MAIN, Kind::Main);
    assert!(msg.starts_with("unknown argument `core_threads`"), "{msg}");
    let (msg, at) = error("\"current_thread\"", MAIN, Kind::Main);
    assert!(
        msg.starts_with("expected an argument `name = value`"),
        "{msg}"
    );
    assert_eq!(at, "\"current_thread\"");
}

#[test]
fn a_known_argument_without_value_says_how_to_write_it() {
    let (msg, at) = error("worker_threads", MAIN, Kind::Main);
    assert_eq!(msg, "`worker_threads` needs a value: `worker_threads = 4`");
    assert_eq!(at, "worker_threads");
}

#[test]
fn values_of_the_wrong_type_are_refused_at_the_value() {
    let cases = [
        (
            "flavor = current_thread",
            "`flavor` takes a string: `flavor = \"multi_thread\"` or `flavor = \"current_thread\"`",
            "current_thread",
        ),
        (
            "flavor = \"single_thread\"",
            "unknown flavor `single_thread`: expected \"multi_thread\" or \"current_thread\"",
            "\"single_thread\"",
        ),
        (
            "worker_threads = \"4\"",
            "`worker_threads` takes an integer literal, such as `worker_threads = 4`",
            "\"4\"",
        ),
        (
            "worker_threads = n",
            "`worker_threads` takes an integer literal, such as `worker_threads = 4`",
            "n",
        ),
        (
            "start_paused = 1",
            "`start_paused` takes `true` or `false`",
            "1",
        ),
        (
            "start_paused = \"yes\"",
            "`start_paused` takes `true` or `false`",
            "\"yes\"",
        ),
        (
            "crate = 5",
            "`crate` takes the path to the weft crate, such as `crate = \"my_weft\"`",
            "5",
        ),
    ];
    for (attr, want, want_at) in cases {
        let kind = if attr.starts_with("start_paused") {
            Kind::Test
        } else {
            Kind::Main
        };
        let (msg, at) = error(attr, MAIN, kind);
        assert_eq!(msg, want, "for `{attr}`");
        assert_eq!(at, want_at, "for `{attr}`");
    }
    let (msg, at) = error("crate = \"not a path\"", MAIN, Kind::Main);
    assert!(
        msg.starts_with("`crate` takes the path to the weft crate"),
        "{msg}"
    );
    assert_eq!(at, "\"not a path\"");
}

#[test]
fn zero_workers_is_refused() {
    let (msg, at) = error("worker_threads = 0", MAIN, Kind::Main);
    assert_eq!(msg, "`worker_threads` must be at least 1");
    assert_eq!(at, "0");
    let (msg, _) = error("worker_threads = 99999999999999999999999", MAIN, Kind::Main);
    assert_eq!(msg, "number too large to fit in target type");
}

#[test]
fn duplicated_arguments_are_refused_at_the_second() {
    let (msg, at) = error(
        "worker_threads = 2, flavor = \"multi_thread\", worker_threads = 4",
        MAIN,
        Kind::Main,
    );
    assert_eq!(msg, "duplicate argument `worker_threads`: give it once");
    assert_eq!(at, "worker_threads");
    let (msg, _) = error("crate = \"a\", crate = \"b\"", MAIN, Kind::Main);
    assert_eq!(msg, "duplicate argument `crate`: give it once");
}

#[test]
fn worker_threads_needs_the_multi_thread_flavor() {
    let (msg, at) = error(
        "flavor = \"current_thread\", worker_threads = 2",
        MAIN,
        Kind::Main,
    );
    assert_eq!(
        msg,
        "`worker_threads` sets the size of the multi-thread runtime; it cannot be used with \
         `flavor = \"current_thread\"`"
    );
    assert_eq!(at, "worker_threads");
    // A test is current-thread unless told otherwise: the message says how to tell it.
    let (msg, _) = error("worker_threads = 2", TEST, Kind::Test);
    assert_eq!(
        msg,
        "`worker_threads` sets the size of the multi-thread runtime; #[weft::test] runs on \
         the current-thread runtime unless told otherwise: add `flavor = \"multi_thread\"`"
    );
}

#[test]
fn start_paused_needs_the_current_thread_flavor() {
    let (msg, at) = error("start_paused = true", MAIN, Kind::Main);
    assert!(
        msg.starts_with("`start_paused` needs the current-thread runtime"),
        "{msg}"
    );
    assert!(
        msg.ends_with(
            "#[weft::main] runs on the multi-thread runtime unless told otherwise: add \
             `flavor = \"current_thread\"`"
        ),
        "{msg}"
    );
    assert_eq!(at, "start_paused");
    let (msg, _) = error(
        "flavor = \"multi_thread\", start_paused = false",
        TEST,
        Kind::Test,
    );
    assert!(
        msg.ends_with("it cannot be used with `flavor = \"multi_thread\"`"),
        "{msg}"
    );
}

// ---- the expansion ----

#[test]
fn main_defaults_to_multi_thread_and_enables_everything() {
    let out = expanded("", MAIN, Kind::Main);
    assert!(
        out.contains(
            ":: weft :: runtime :: Builder :: new_multi_thread () . enable_all () . build ()"
        ),
        "{out}"
    );
    assert!(out.contains("fn main ()"), "{out}");
    assert!(!out.contains("test"), "{out}");
}

#[test]
fn test_defaults_to_current_thread_and_adds_test() {
    let out = expanded("", TEST, Kind::Test);
    assert!(
        out.starts_with("# [:: core :: prelude :: v1 :: test]"),
        "{out}"
    );
    assert!(
        out.contains(":: weft :: runtime :: Builder :: new_current_thread () . enable_all ()"),
        "{out}"
    );
    assert!(
        out.contains("dyn :: core :: future :: Future < Output = () >"),
        "{out}"
    );
}

#[test]
fn arguments_reach_the_builder() {
    let out = expanded(
        "flavor = \"multi_thread\", worker_threads = 3usize,",
        MAIN,
        Kind::Main,
    );
    assert!(
        out.contains("new_multi_thread () . worker_threads (3) . enable_all ()"),
        "{out}"
    );
    let out = expanded("start_paused = true", TEST, Kind::Test);
    assert!(
        out.contains("new_current_thread () . start_paused (true) . enable_all ()"),
        "{out}"
    );
    let out = expanded(
        "flavor = \"current_thread\", start_paused = false",
        MAIN,
        Kind::Main,
    );
    assert!(
        out.contains("new_current_thread () . start_paused (false) . enable_all ()"),
        "{out}"
    );
}

#[test]
fn the_crate_path_replaces_weft() {
    for attr in ["crate = \"my::weft\"", "crate = my::weft"] {
        let out = expanded(attr, MAIN, Kind::Main);
        assert!(
            out.contains("my :: weft :: runtime :: Builder :: new_multi_thread ()"),
            "{out}"
        );
        assert!(!out.replace("my :: weft", "").contains("weft ::"), "{out}");
    }
}

#[test]
fn attributes_visibility_and_return_type_are_kept() {
    let out = expanded(
        "",
        "#[should_panic(expected = \"boom\")] #[ignore] pub(crate) async fn t() -> Result<(), String> { Ok(()) }",
        Kind::Test,
    );
    assert!(
        out.starts_with(
            "# [:: core :: prelude :: v1 :: test] # [should_panic (expected = \"boom\")] # [ignore] \
             pub (crate) fn t () -> Result < () , String >"
        ),
        "{out}"
    );
    assert!(
        out.contains("dyn :: core :: future :: Future < Output = Result < () , String > >"),
        "{out}"
    );
}

// ---- what is emitted beside an error ----

#[test]
fn the_fallback_is_a_plain_fn_so_the_error_stays_alone() {
    // An async fn: a sync stand-in with the same name and return type, no arguments.
    let out = fallback(tokens("pub async fn main(x: u8) -> u8 { x.await }")).to_string();
    assert_eq!(
        out,
        "# [allow (dead_code)] pub fn main () -> u8 { :: core :: unimplemented ! () }"
    );
    // Anything else goes back as it was.
    let item = "fn main() { println!(\"hi\") }";
    assert_eq!(fallback(tokens(item)).to_string(), tokens(item).to_string());
}

#[test]
fn the_runtime_call_carries_the_span_of_the_last_statement() {
    // So that a body of the wrong type is reported at its last statement, not at the
    // attribute.
    fn find(tokens: TokenStream, name: &str) -> Option<proc_macro2::Span> {
        tokens.into_iter().find_map(|t| match t {
            proc_macro2::TokenTree::Ident(i) if i == name => Some(i.span()),
            proc_macro2::TokenTree::Group(g) => find(g.stream(), name),
            _ => None,
        })
    }
    let item = "async fn main() -> u8 { let x = 1; compute(x).await }";
    for (kind, attr) in [(Kind::Main, ""), (Kind::Test, "crate = \"w\"")] {
        let out = expand(tokens(attr), tokens(item), kind).unwrap();
        let builder = find(out.clone(), "Builder").unwrap();
        assert_eq!(builder.source_text().as_deref(), Some("compute"));
        let block_on = find(out, "block_on").unwrap();
        assert_eq!(block_on.source_text().as_deref(), Some("await"));
    }
}
