//! The attribute's arguments: `flavor`, `worker_threads`, `start_paused`, `crate`.
//!
//! Each argument is `name = value`, separated by commas. Parsing first reads that shape for
//! any name (so an unknown name is reported as unknown, not as a syntax error), then checks
//! each value's type, then the combinations: `worker_threads` only on the multi-thread
//! runtime, `start_paused` only on the current-thread one.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, Token};

/// The argument names, as listed in the error for an unknown one.
const NAMES: &str = "`flavor`, `worker_threads`, `start_paused`, `crate`";

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// `#[weft::main]`: multi-thread by default.
    Main,
    /// `#[weft::test]`: current-thread by default, adds `#[test]`.
    Test,
}

impl Kind {
    /// The attribute as the user writes it, for messages.
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[weft::main]",
            Kind::Test => "#[weft::test]",
        }
    }

    pub(crate) fn default_flavor(self) -> Flavor {
        match self {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        }
    }

    /// "the main function" / "test functions", for messages about the signature.
    pub(crate) fn subject(self) -> &'static str {
        match self {
            Kind::Main => "the main function",
            Kind::Test => "test functions",
        }
    }
}

/// Which built-in scheduler the runtime uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Flavor {
    /// `Builder::new_multi_thread()`.
    MultiThread,
    /// `Builder::new_current_thread()`.
    CurrentThread,
}

/// What the arguments ask for, checked.
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    pub(crate) worker_threads: Option<usize>,
    pub(crate) start_paused: Option<bool>,
    /// The path to the `weft` crate (`::weft` unless `crate = "..."` says otherwise).
    pub(crate) krate: Option<syn::Path>,
}

/// One `name = value` (or a bare `name`, reported as missing its value).
struct Arg {
    name: Ident,
    value: Option<Expr>,
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Arg> {
        if !input.peek(Ident::peek_any) {
            return Err(input.error(format!(
                "expected an argument `name = value`, such as `flavor = \"current_thread\"` \
                 (the arguments are {NAMES})"
            )));
        }
        // `parse_any` also takes keywords: `crate` is one.
        let name = Ident::parse_any(input)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Arg { name, value })
    }
}

/// Parses and checks the arguments of `kind`'s attribute.
pub(crate) fn parse(attr: TokenStream, kind: Kind) -> syn::Result<Config> {
    let args = Punctuated::<Arg, Token![,]>::parse_terminated.parse2(attr)?;
    let mut flavor: Option<Flavor> = None;
    let mut worker_threads: Option<(usize, Span)> = None;
    let mut start_paused: Option<(bool, Span)> = None;
    let mut krate: Option<syn::Path> = None;
    let mut seen: Vec<String> = Vec::new();
    for arg in args {
        let name = arg.name.to_string();
        let span = arg.name.span();
        if !matches!(
            name.as_str(),
            "flavor" | "worker_threads" | "start_paused" | "crate"
        ) {
            return Err(syn::Error::new(
                span,
                format!("unknown argument `{name}` (the arguments are {NAMES})"),
            ));
        }
        if seen.contains(&name) {
            return Err(syn::Error::new(
                span,
                format!("duplicate argument `{name}`: give it once"),
            ));
        }
        seen.push(name.clone());
        let Some(value) = arg.value else {
            return Err(syn::Error::new(
                span,
                format!("`{name}` needs a value: `{name} = {}`", example(&name)),
            ));
        };
        match name.as_str() {
            "flavor" => flavor = Some(parse_flavor(&value)?),
            "worker_threads" => worker_threads = Some((parse_workers(&value)?, span)),
            "start_paused" => start_paused = Some((parse_bool(&name, &value)?, span)),
            _ => krate = Some(parse_path(value)?),
        }
    }

    let explicit = flavor.is_some();
    let flavor = flavor.unwrap_or(kind.default_flavor());
    let attr = kind.attr();
    if let (Some((_, span)), Flavor::CurrentThread) = (worker_threads, flavor) {
        let why = if explicit {
            "it cannot be used with `flavor = \"current_thread\"`".to_owned()
        } else {
            format!(
                "{attr} runs on the current-thread runtime unless told otherwise: add \
                 `flavor = \"multi_thread\"`"
            )
        };
        return Err(syn::Error::new(
            span,
            format!("`worker_threads` sets the size of the multi-thread runtime; {why}"),
        ));
    }
    if let (Some((_, span)), Flavor::MultiThread) = (start_paused, flavor) {
        let why = if explicit {
            "it cannot be used with `flavor = \"multi_thread\"`".to_owned()
        } else {
            format!(
                "{attr} runs on the multi-thread runtime unless told otherwise: add \
                 `flavor = \"current_thread\"`"
            )
        };
        return Err(syn::Error::new(
            span,
            format!(
                "`start_paused` needs the current-thread runtime (a paused clock jumps ahead \
                 only when every task is idle, which only a single-threaded runtime can \
                 tell); {why}"
            ),
        ));
    }
    Ok(Config {
        flavor,
        worker_threads: worker_threads.map(|(n, _)| n),
        start_paused: start_paused.map(|(b, _)| b),
        krate,
    })
}

/// A value to show in "`name` needs a value".
fn example(name: &str) -> &'static str {
    match name {
        "flavor" => "\"current_thread\"",
        "worker_threads" => "4",
        "start_paused" => "true",
        _ => "\"my_weft\"",
    }
}

/// The literal `value` is, if it is one.
fn literal(value: &Expr) -> Option<&Lit> {
    match value {
        Expr::Lit(ExprLit { lit, attrs }) if attrs.is_empty() => Some(lit),
        _ => None,
    }
}

fn parse_flavor(value: &Expr) -> syn::Result<Flavor> {
    let Some(Lit::Str(s)) = literal(value) else {
        return Err(syn::Error::new_spanned(
            value,
            "`flavor` takes a string: `flavor = \"multi_thread\"` or \
             `flavor = \"current_thread\"`",
        ));
    };
    match s.value().as_str() {
        "multi_thread" => Ok(Flavor::MultiThread),
        "current_thread" => Ok(Flavor::CurrentThread),
        other => Err(syn::Error::new(
            s.span(),
            format!("unknown flavor `{other}`: expected \"multi_thread\" or \"current_thread\""),
        )),
    }
}

fn parse_workers(value: &Expr) -> syn::Result<usize> {
    let Some(Lit::Int(n)) = literal(value) else {
        return Err(syn::Error::new_spanned(
            value,
            "`worker_threads` takes an integer literal, such as `worker_threads = 4`",
        ));
    };
    let workers: usize = n.base10_parse()?;
    if workers == 0 {
        return Err(syn::Error::new(
            n.span(),
            "`worker_threads` must be at least 1",
        ));
    }
    Ok(workers)
}

fn parse_bool(name: &str, value: &Expr) -> syn::Result<bool> {
    match literal(value) {
        Some(Lit::Bool(b)) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(
            value,
            format!("`{name}` takes `true` or `false`"),
        )),
    }
}

/// `crate = "path"` (as tokio writes it) or `crate = path`.
fn parse_path(value: Expr) -> syn::Result<syn::Path> {
    if let Some(Lit::Str(s)) = literal(&value) {
        return s.parse().map_err(|e| {
            syn::Error::new(
                s.span(),
                format!(
                    "`crate` takes the path to the weft crate, such as `crate = \"my_weft\"`: {e}"
                ),
            )
        });
    }
    match value {
        Expr::Path(p) if p.attrs.is_empty() && p.qself.is_none() => Ok(p.path),
        value => Err(syn::Error::new_spanned(
            value,
            "`crate` takes the path to the weft crate, such as `crate = \"my_weft\"`",
        )),
    }
}
