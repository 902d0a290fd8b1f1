//! Stable hashing: the run fingerprint and seed derivation.
//!
//! `std::hash` makes no promise that its output stays the same across platforms or Rust
//! versions, and `usize` differs between native and wasm32, so the engine hashes fixed-width
//! integers and explicit bytes with its own function. Any `Serialize` value (a protocol's
//! message, say) can be fed in through [`StableHasher::write_serialize`], which walks the
//! value with a serde serializer that writes every field in order.

use serde::ser::{self, Serialize};
use std::fmt;

/// 64-bit FNV-1a of a byte string; used to turn stream names into seeds.
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// An order-sensitive hasher over 64-bit words, identical on every platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StableHasher {
    state: u64,
}

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher::new()
    }
}

impl StableHasher {
    pub const fn new() -> StableHasher {
        // A non-zero start, so that a run of zero words still moves the state.
        StableHasher {
            state: 0x6473_706c_6179_2121,
        }
    }

    pub fn write_u64(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    pub fn write_bytes(&mut self, bytes: &[u8]) {
        self.write_u64(bytes.len() as u64);
        // Whole words straight from the bytes; the tail, if any, padded with zeros.
        let mut words = bytes.chunks_exact(8);
        for chunk in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            // The same little-endian word as copying the tail into zeroed bytes, but built
            // in a register: the copy went through memory, and reading the word back right
            // after the bytes were stored stalled (most trace events hash a short name).
            let word = tail
                .iter()
                .rev()
                .fold(0u64, |word, &byte| word << 8 | u64::from(byte));
            self.write_u64(word);
        }
    }

    pub fn write_str(&mut self, text: &str) {
        self.write_bytes(text.as_bytes());
    }

    /// Feeds every field of `value`, in declaration order, into the hash.
    pub fn write_serialize<T: Serialize + ?Sized>(&mut self, value: &T) {
        // The serializer below never fails: it has no I/O and accepts every serde type.
        let _ = value.serialize(&mut *self);
    }

    /// The final hash, with a last mixing step so every input bit reaches every output bit.
    pub fn finish(&self) -> u64 {
        let mut state = self.state;
        crate::rng::splitmix64(&mut state)
    }
}

/// The serializer's error type; never produced, but serde requires one.
#[derive(Debug)]
pub struct NeverError;

impl fmt::Display for NeverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stable hashing does not fail")
    }
}

impl std::error::Error for NeverError {}

impl ser::Error for NeverError {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        NeverError
    }
}

type HashResult = Result<(), NeverError>;

impl ser::Serializer for &mut StableHasher {
    type Ok = ();
    type Error = NeverError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> HashResult {
        self.write_u64(u64::from(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> HashResult {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> HashResult {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> HashResult {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> HashResult {
        self.write_u64(v as u64);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> HashResult {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> HashResult {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> HashResult {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> HashResult {
        self.write_u64(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> HashResult {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> HashResult {
        self.write_u64(v.to_bits());
        Ok(())
    }
    fn serialize_char(self, v: char) -> HashResult {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_str(self, v: &str) -> HashResult {
        self.write_str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> HashResult {
        self.write_bytes(v);
        Ok(())
    }
    fn serialize_none(self) -> HashResult {
        self.write_u64(0);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> HashResult {
        self.write_u64(1);
        value.serialize(self)
    }
    fn serialize_unit(self) -> HashResult {
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> HashResult {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        index: u32,
        _v: &'static str,
    ) -> HashResult {
        self.serialize_u32(index)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> HashResult {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        value: &T,
    ) -> HashResult {
        self.write_u64(u64::from(index));
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self, NeverError> {
        self.write_u64(len.map_or(u64::MAX, |len| len as u64));
        Ok(self)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self, NeverError> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self, NeverError> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self, NeverError> {
        self.write_u64(u64::from(index));
        Ok(self)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self, NeverError> {
        self.write_u64(len.map_or(u64::MAX, |len| len as u64));
        Ok(self)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, NeverError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self, NeverError> {
        self.write_u64(u64::from(index));
        Ok(self)
    }
}

impl ser::SerializeSeq for &mut StableHasher {
    type Ok = ();
    type Error = NeverError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> HashResult {
        value.serialize(&mut **self)
    }
    fn end(self) -> HashResult {
        Ok(())
    }
}

impl ser::SerializeTuple for &mut StableHasher {
    type Ok = ();
    type Error = NeverError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> HashResult {
        value.serialize(&mut **self)
    }
    fn end(self) -> HashResult {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for &mut StableHasher {
    type Ok = ();
    type Error = NeverError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> HashResult {
        value.serialize(&mut **self)
    }
    fn end(self) -> HashResult {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for &mut StableHasher {
    type Ok = ();
    type Error = NeverError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> HashResult {
        value.serialize(&mut **self)
    }
    fn end(self) -> HashResult {
        Ok(())
    }
}

impl ser::SerializeMap for &mut StableHasher {
    type Ok = ();
    type Error = NeverError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> HashResult {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> HashResult {
        value.serialize(&mut **self)
    }
    fn end(self) -> HashResult {
        Ok(())
    }
}

impl ser::SerializeStruct for &mut StableHasher {
    type Ok = ();
    type Error = NeverError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _key: &'static str,
        value: &T,
    ) -> HashResult {
        value.serialize(&mut **self)
    }
    fn end(self) -> HashResult {
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut StableHasher {
    type Ok = ();
    type Error = NeverError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _key: &'static str,
        value: &T,
    ) -> HashResult {
        value.serialize(&mut **self)
    }
    fn end(self) -> HashResult {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    enum Sample {
        Ping { round: u32 },
        State(Vec<u64>),
    }

    fn hash_of<T: Serialize>(value: &T) -> u64 {
        let mut hasher = StableHasher::new();
        hasher.write_serialize(value);
        hasher.finish()
    }

    #[test]
    fn fnv_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn serialized_values_hash_by_content_and_variant() {
        assert_eq!(
            hash_of(&Sample::Ping { round: 1 }),
            hash_of(&Sample::Ping { round: 1 })
        );
        assert_ne!(
            hash_of(&Sample::Ping { round: 1 }),
            hash_of(&Sample::Ping { round: 2 })
        );
        assert_ne!(
            hash_of(&Sample::State(vec![1])),
            hash_of(&Sample::Ping { round: 1 })
        );
        assert_ne!(
            hash_of(&Sample::State(vec![0])),
            hash_of(&Sample::State(vec![0, 0]))
        );
    }

    /// Bytes hash as their length and then little-endian words, the last one padded with
    /// zeros, whatever the length.
    #[test]
    fn bytes_hash_as_zero_padded_words() {
        let bytes: Vec<u8> = (1..=40).collect();
        for len in 0..=bytes.len() {
            let mut reference = StableHasher::new();
            reference.write_u64(len as u64);
            for chunk in bytes[..len].chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                reference.write_u64(u64::from_le_bytes(word));
            }
            let mut hasher = StableHasher::new();
            hasher.write_bytes(&bytes[..len]);
            assert_eq!(hasher, reference, "{len} bytes");
        }
    }

    #[test]
    fn order_matters() {
        let mut ab = StableHasher::new();
        ab.write_u64(1);
        ab.write_u64(2);
        let mut ba = StableHasher::new();
        ba.write_u64(2);
        ba.write_u64(1);
        assert_ne!(ab.finish(), ba.finish());
    }
}
