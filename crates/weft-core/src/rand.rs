use std::cell::Cell;

/// A tiny xorshift64* generator: not for cryptography, only for picking which worker to steal
/// from first, so that thieves spread out instead of all hitting worker 0.
///
/// ```
/// use weft_core::FastRand;
/// let rng = FastRand::new(7);
/// let n = rng.below(10);
/// assert!(n < 10);
/// ```
#[derive(Debug)]
pub struct FastRand {
    state: Cell<u64>,
}

impl FastRand {
    /// Creates a generator from `seed` (a zero seed is replaced by a fixed odd constant).
    pub fn new(seed: u64) -> Self {
        let seed = if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        };
        FastRand {
            state: Cell::new(seed),
        }
    }

    /// Returns the next 64 pseudo-random bits.
    pub fn next_u64(&self) -> u64 {
        let mut x = self.state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Returns a number in `0..n` (`n` must be non-zero).
    pub fn below(&self, n: u32) -> u32 {
        // Lemire's multiply-shift: unbiased enough for load spreading, no division.
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }
}
