//! Bytes read eight at a time, as one `u64` each, for the byte loops every
//! event goes through: a JSON string's end (`wire`), printable text
//! (`sanitize`), the ack subject's dots (`bus::consumer`). Each use is
//! held to a byte-at-a-time version by a property test.

/// `byte` in each of a word's eight bytes.
pub const fn splat(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

/// `b` as whole words, its first byte the lowest, and the bytes after the
/// last whole word.
pub fn words(b: &[u8]) -> (impl Iterator<Item = u64> + '_, &[u8]) {
    let chunks = b.chunks_exact(8);
    let rest = chunks.remainder();
    let words = chunks.map(|w| u64::from_le_bytes(w.try_into().expect("eight bytes")));
    (words, rest)
}
