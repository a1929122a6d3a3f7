//! Where and when a task was spawned, and its name, in one word of the header.
//!
//! Most tasks are unnamed: for them the word packs the spawn location's 32-bit
//! [`LocationCode`], the 31-bit [`SpawnStamp`] and a tag bit of 1, and nothing is allocated.
//! A named task (or one spawned from a location too far from weft-core's statics to code,
//! or on a target whose words are too narrow to pack) points at a boxed `Named` instead,
//! told apart by the tag bit of 0 (the box is 8-byte aligned).
//!
//! ```text
//!  63 ................ 32 | 31 ............ 1 | 0
//!  location code          | spawn stamp (ms)  | 1     packed
//!  pointer to Named (name, location, stamp)   | 0     boxed
//! ```

use std::num::{NonZeroU32, NonZeroUsize};
use std::panic::Location;
use std::ptr::NonNull;
use std::time::Duration;

use weft_core::introspect::{LocationCode, SpawnStamp};

struct Named {
    name: Option<Box<str>>,
    location: &'static Location<'static>,
    stamp: SpawnStamp,
}

/// See the module docs.
pub(crate) struct Origin(NonNull<()>);

// SAFETY: an `Origin` owns a `Box<Named>` (an optional `Box<str>`, a `&'static Location` and
// a stamp, all `Send` and `Sync`) or holds plain bits; it hands out shared references only.
unsafe impl Send for Origin {}
// SAFETY: as above.
unsafe impl Sync for Origin {}

const PACKED: usize = 1;

impl Origin {
    /// The origin of a task spawned now.
    pub(crate) fn new(name: Option<Box<str>>, location: &'static Location<'static>) -> Origin {
        let stamp = SpawnStamp::now();
        if name.is_none() {
            if let Some(word) = pack(location, stamp) {
                return Origin(NonNull::<()>::dangling().with_addr(word));
            }
        }
        let named = Box::new(Named {
            name,
            location,
            stamp,
        });
        Origin(NonNull::from(Box::leak(named)).cast())
    }

    fn named(&self) -> Option<&Named> {
        if self.0.addr().get() & PACKED != 0 {
            return None;
        }
        // SAFETY: an untagged word was made from a leaked `Box<Named>` in `new`, freed only
        // in `drop`; `&self` keeps it alive.
        Some(unsafe { self.0.cast::<Named>().as_ref() })
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.named().and_then(|n| n.name.as_deref())
    }

    pub(crate) fn location(&self) -> &'static Location<'static> {
        match self.named() {
            Some(named) => named.location,
            None => unpack(self.0.addr()).0,
        }
    }

    /// Time since the task was spawned, to a few milliseconds (below 24 days).
    pub(crate) fn age(&self) -> Duration {
        match self.named() {
            Some(named) => named.stamp.age(),
            None => unpack(self.0.addr()).1.age(),
        }
    }
}

/// The packed word, where the location has a code and a word holds 64 bits.
fn pack(location: &'static Location<'static>, stamp: SpawnStamp) -> Option<NonZeroUsize> {
    let code = LocationCode::of(location)?;
    let word = (u64::from(code.to_bits().get()) << 32) | (u64::from(stamp.to_bits()) << 1) | 1;
    usize::try_from(word).ok()?.try_into().ok()
}

/// The location and stamp of a word made by [`pack`].
fn unpack(word: NonZeroUsize) -> (&'static Location<'static>, SpawnStamp) {
    let word = word.get() as u64;
    let bits = NonZeroU32::new((word >> 32) as u32).expect("a packed origin holds a location code");
    // SAFETY: a packed word's high half is `to_bits` of a code made in `pack`.
    let location = unsafe { LocationCode::from_bits(bits) }.location();
    (location, SpawnStamp::from_bits((word >> 1) as u32))
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
        assert!(plain.age() < Duration::from_secs(1));
        #[cfg(target_pointer_width = "64")]
        assert!(
            plain.named().is_none(),
            "an unnamed task's origin allocates nothing"
        );
        let named = Origin::new(Some("fetcher".into()), here);
        assert_eq!(named.name(), Some("fetcher"));
        assert!(std::ptr::eq(named.location(), here));
        assert!(named.age() < Duration::from_secs(1));
    }

    #[test]
    fn an_age_counts_from_the_stamp_in_the_word() {
        let here = Location::caller();
        let old = SpawnStamp::from_bits(SpawnStamp::now().to_bits().wrapping_sub(5_000));
        let word = pack(here, old).expect("packs on 64-bit targets");
        let origin = Origin(NonNull::<()>::dangling().with_addr(word));
        let age = origin.age();
        assert!(
            age >= Duration::from_secs(5) && age < Duration::from_secs(6),
            "{age:?}"
        );
        assert!(std::ptr::eq(origin.location(), here));
    }
}
