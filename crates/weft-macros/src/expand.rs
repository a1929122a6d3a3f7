//! From `async fn` to a plain `fn` that builds a runtime and blocks on the body.
//!
//! ```text
//! #[weft::main(worker_threads = 2)]        #[::core::prelude::v1::test]   (tests only)
//! async fn main() -> R { BODY }       =>   fn main() -> R {
//!                                              let body = async { BODY };
//!                                              (tests: pinned, as `Pin<&mut dyn Future<Output = R>>`)
//!                                              return ::weft::runtime::Builder::new_multi_thread()
//!                                                  .worker_threads(2).enable_all().build()
//!                                                  .expect(..).block_on(body);
//!                                          }
//! ```
//!
//! The body keeps its own spans, so errors inside it point at the user's code; `return` and
//! `?` in it return from the async block, as they did from the `async fn`. The tokens that
//! consume the body carry the span of its last statement: a body whose type does not match
//! the declared return type is reported there, not at the attribute. Tests block on a
//! `Pin<&mut dyn Future>` (tokio's trick): one `block_on` instance for all the tests of a
//! crate instead of one per test, and the declared return type fixes the error type of `?`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::{Item, ItemFn, ReturnType};

use crate::args::{self, Config, Flavor, Kind};

/// Expands `kind`'s attribute with arguments `attr` on `item`. Every misuse (of the item and
/// of the arguments) is reported, combined into one error.
pub(crate) fn expand(
    attr: TokenStream,
    item: TokenStream,
    kind: Kind,
) -> Result<TokenStream, syn::Error> {
    let item = parse_fn(item, kind).and_then(|f| check_fn(&f, kind).map(|()| f));
    let config = args::parse(attr, kind);
    match (item, config) {
        (Ok(item), Ok(config)) => Ok(generate(item, &config, kind)),
        (Err(mut a), Err(b)) => {
            a.combine(b);
            Err(a)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// What to emit beside the error, so that it is the only error: the function without
/// `async`, its body replaced (an `async` body does not compile in a plain `fn`, and a
/// missing `fn main` would be a second error); anything else as it was.
pub(crate) fn fallback(item: TokenStream) -> TokenStream {
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(f) if f.sig.asyncness.is_some() => {
            let ItemFn { vis, mut sig, .. } = f;
            sig.asyncness = None;
            sig.inputs.clear();
            quote! {
                #[allow(dead_code)]
                #vis #sig { ::core::unimplemented!() }
            }
        }
        _ => item,
    }
}

fn parse_fn(item: TokenStream, kind: Kind) -> syn::Result<ItemFn> {
    let item: Item = syn::parse2(item)?;
    let (what, span) = match item {
        Item::Fn(f) => return Ok(f),
        Item::Struct(s) => ("a struct", s.struct_token.span),
        Item::Enum(e) => ("an enum", e.enum_token.span),
        Item::Union(u) => ("a union", u.union_token.span),
        Item::Impl(i) => ("an impl block", i.impl_token.span),
        Item::Trait(t) => ("a trait", t.trait_token.span),
        Item::Mod(m) => ("a module", m.mod_token.span),
        Item::Const(c) => ("a const", c.const_token.span),
        Item::Static(s) => ("a static", s.static_token.span),
        Item::Type(t) => ("a type alias", t.type_token.span),
        Item::Use(u) => ("a use declaration", u.use_token.span),
        other => ("this item", first_span(&other)),
    };
    Err(syn::Error::new(
        span,
        format!("{} goes on an `async fn`, not on {what}", kind.attr()),
    ))
}

fn first_span(tokens: &impl ToTokens) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

/// The signature checks, all errors combined.
fn check_fn(f: &ItemFn, kind: Kind) -> syn::Result<()> {
    let mut errors: Vec<syn::Error> = Vec::new();
    if f.sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            f.sig.fn_token.span,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    if !f.sig.inputs.is_empty() {
        errors.push(syn::Error::new_spanned(
            &f.sig.inputs,
            format!("{} cannot accept arguments", kind.subject()),
        ));
    }
    if !f.sig.generics.params.is_empty() || f.sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &f.sig.generics,
            format!("{} cannot have generic parameters", kind.subject()),
        ));
    }
    if kind == Kind::Test {
        for attr in &f.attrs {
            if is_test_attr(attr.path()) {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "a second test attribute: #[weft::test] already adds `#[test]`, \
                     remove this one",
                ));
            }
        }
    }
    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some(mut first) => {
            first.extend(errors);
            Err(first)
        }
    }
}

/// `test`, `core::prelude::v1::test`, `::std::prelude::rust_2021::test`, ...
fn is_test_attr(path: &syn::Path) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [only] => only == "test",
        [root, .., last] => last == "test" && (root == "core" || root == "std"),
        [] => false,
    }
}

fn generate(item: ItemFn, config: &Config, kind: Kind) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = item;
    sig.asyncness = None;
    // rustc reports a body whose type is not the declared one at the tokens that consume
    // it: give them the span of the body's last statement (its first and last tokens,
    // since a span on stable Rust cannot cover several tokens), as tokio does.
    let (start, end) = last_stmt_spans(&block);
    let krate = match &config.krate {
        Some(path) => path.to_token_stream(),
        None => quote_spanned!(start=> ::weft),
    };
    let mut builder = match config.flavor {
        Flavor::MultiThread => {
            quote_spanned!(start=> #krate::runtime::Builder::new_multi_thread())
        }
        Flavor::CurrentThread => {
            quote_spanned!(start=> #krate::runtime::Builder::new_current_thread())
        }
    };
    if let Some(n) = config.worker_threads {
        let n = Literal::usize_unsuffixed(n);
        builder.extend(quote_spanned!(start=> .worker_threads(#n)));
    }
    if let Some(paused) = config.start_paused {
        builder.extend(quote_spanned!(start=> .start_paused(#paused)));
    }
    let expect = format!("{}: could not build the weft runtime", kind.attr());

    let (test_attr, body) = match kind {
        Kind::Main => (quote!(), quote_spanned!(start=> let body = async #block;)),
        Kind::Test => {
            let output = match &sig.output {
                ReturnType::Default => quote!(()),
                ReturnType::Type(_, ty) => ty.to_token_stream(),
            };
            let body = quote_spanned! {start=>
                let body = async #block;
                let body = ::core::pin::pin!(body);
                let body: ::core::pin::Pin<&mut dyn ::core::future::Future<Output = #output>> =
                    body;
            };
            (quote!(#[::core::prelude::v1::test]), body)
        }
    };
    let run = quote_spanned! {end=>
        #[allow(
            clippy::expect_used,
            clippy::diverging_sub_expression,
            clippy::needless_return
        )]
        {
            return #builder
                .enable_all()
                .build()
                .expect(#expect)
                .block_on(body);
        }
    };
    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            #body
            #run
        }
    }
}

/// The spans of the first and last tokens of the body's last statement (the closing brace
/// for an empty body).
fn last_stmt_spans(block: &syn::Block) -> (Span, Span) {
    let close = block.brace_token.span.close();
    let Some(last) = block.stmts.last() else {
        return (close, close);
    };
    let mut tokens = last.to_token_stream().into_iter();
    let start = tokens.next().map_or(close, |t| t.span());
    let end = tokens.last().map_or(start, |t| t.span());
    (start, end)
}
