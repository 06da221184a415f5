//! Ids for new tweets and for every publish's `Nats-Msg-Id`, made inside the
//! reducer without randomness: a seed drawn once per session, outside, plus
//! a counter kept in the state. The same seed and the same messages give the
//! same ids, so a recorded session replays exactly.

/// The id source of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    seed: u128,
    issued: u64,
}

impl Ids {
    /// `seed` must be random per session (`main` draws it): two terminals,
    /// or two runs, then never issue the same id.
    pub fn new(seed: u128) -> Self {
        Self { seed, issued: 0 }
    }

    /// The next id: a version-4 UUID, as the Go service makes its own.
    /// Each half is the seed's half plus the count, through a bijective
    /// mix: ids look random (nothing ties two ids to one session or tells
    /// the next one), and two of them collide no more often than two
    /// random UUIDs do.
    pub fn next_id(&mut self) -> String {
        let high = mix(((self.seed >> 64) as u64).wrapping_add(self.issued));
        let low = mix((self.seed as u64).wrapping_add(self.issued));
        self.issued += 1;
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&high.to_be_bytes());
        bytes[8..].copy_from_slice(&low.to_be_bytes());
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

/// SplitMix64's finalizer: a bijection of u64 that scatters every bit.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_distinct_and_repeatable() {
        let mut a = Ids::new(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        let first = a.next_id();
        let parsed = uuid::Uuid::parse_str(&first).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        let mut seen = std::collections::HashSet::new();
        seen.insert(first.clone());
        for _ in 0..10_000 {
            assert!(seen.insert(a.next_id()), "an id came twice");
        }
        let mut again = Ids::new(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        assert_eq!(again.next_id(), first, "the same seed gives the same ids");
        let mut other = Ids::new(0x0123_4567_89ab_cdef_fedc_ba98_7654_3211);
        assert_ne!(other.next_id(), first);
    }

    #[test]
    fn consecutive_ids_share_no_visible_part() {
        let mut a = Ids::new(42);
        let (x, y) = (a.next_id(), a.next_id());
        let same = x.chars().zip(y.chars()).filter(|(p, q)| p == q).count();
        // 36 characters; the dashes, the version and likely a few digits match.
        assert!(same < 16, "{x} and {y} look related");
    }

    #[test]
    fn a_counter_wrapping_the_low_half_stays_a_uuid() {
        let mut a = Ids::new(u128::MAX);
        let (x, y) = (a.next_id(), a.next_id());
        assert_ne!(x, y);
        assert!(uuid::Uuid::parse_str(&y).is_ok());
    }
}
