//! A task's spawn location and name in one word: most tasks are unnamed, and for them the
//! word is the `&'static Location` itself; a named task's word points at a boxed `Named`
//! (name and location), told apart by the low bit (both pointees are 8-byte aligned).

use std::panic::Location;
use std::ptr::NonNull;

struct Named {
    name: Box<str>,
    location: &'static Location<'static>,
}

/// See the module docs.
pub(crate) struct Origin(NonNull<()>);

// SAFETY: an `Origin` owns a `Box<Named>` (a `Box<str>` and a `&'static Location`, both
// `Send` and `Sync`) or borrows a `&'static Location`; it hands out shared references only.
unsafe impl Send for Origin {}
// SAFETY: as above.
unsafe impl Sync for Origin {}

const NAMED: usize = 1;

impl Origin {
    pub(crate) fn new(name: Option<Box<str>>, location: &'static Location<'static>) -> Origin {
        match name {
            None => Origin(NonNull::from(location).cast()),
            Some(name) => {
                let named = NonNull::from(Box::leak(Box::new(Named { name, location })));
                Origin(named.cast::<()>().map_addr(|a| a | NAMED))
            }
        }
    }

    fn named(&self) -> Option<&Named> {
        if self.0.addr().get() & NAMED == 0 {
            return None;
        }
        let ptr = self.0.map_addr(|a| {
            // The tag bit is set, so clearing it leaves a non-zero address.
            std::num::NonZeroUsize::new(a.get() & !NAMED).expect("a tagged pointer")
        });
        // SAFETY: a tagged word was made from a leaked `Box<Named>` in `new`, freed only in
        // `drop`; `&self` keeps it alive.
        Some(unsafe { ptr.cast::<Named>().as_ref() })
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.named().map(|n| &*n.name)
    }

    pub(crate) fn location(&self) -> &'static Location<'static> {
        match self.named() {
            Some(named) => named.location,
            // SAFETY: an untagged word was made from a `&'static Location` in `new`.
            None => unsafe { self.0.cast::<Location<'static>>().as_ref() },
        }
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        if let Some(named) = self.named() {
            let ptr = NonNull::from(named);
            // SAFETY: the box leaked in `new`, dropped once, here.
            drop(unsafe { Box::from_raw(ptr.as_ptr()) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_one_word_and_gives_back_what_it_was_made_of() {
        assert_eq!(std::mem::size_of::<Origin>(), std::mem::size_of::<usize>());
        let here = Location::caller();
        let plain = Origin::new(None, here);
        assert_eq!(plain.name(), None);
        assert!(std::ptr::eq(plain.location(), here));
        let named = Origin::new(Some("fetcher".into()), here);
        assert_eq!(named.name(), Some("fetcher"));
        assert!(std::ptr::eq(named.location(), here));
    }
}
