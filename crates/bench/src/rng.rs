//! A small deterministic random number generator (SplitMix64). The seeder derives every
//! ticket from its number with it, so the bench knows the ids it seeded without storing
//! them; the workloads use it to pick customers, agents and tickets.

/// SplitMix64: fast, good enough for choosing test data, and the same on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose sequence depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // The modulo bias is negligible for the small ranges the bench draws from.
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `0..n` as `u64`.
    pub fn below_u64(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        self.next_u64() % n
    }

    /// Ten random bytes, the random part of a UUID v7.
    pub fn bytes10(&mut self) -> [u8; 10] {
        let a = self.next_u64().to_le_bytes();
        let b = self.next_u64().to_le_bytes();
        [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], b[0], b[1]]
    }

    /// One of `items`, chosen by weight (the weights need not add up to anything).
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> Option<T> {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut pick = self.below_u64(total);
        for (item, weight) in items {
            let weight = u64::from(*weight);
            if pick < weight {
                return Some(*item);
            }
            pick -= weight;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn below_stays_in_range_and_weighted_respects_zero_weights() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            assert!(rng.below(13) < 13);
            assert_eq!(rng.weighted(&[("never", 0), ("always", 5)]), Some("always"));
        }
        assert_eq!(rng.below(0), 0);
    }
}
