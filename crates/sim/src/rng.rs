//! Seeded randomness: one `u64` seed, a separate named stream per subsystem.
//!
//! The generator is xoshiro256** seeded through SplitMix64, both written out here so the
//! output is the same on 64-bit native and 32-bit wasm targets and never changes with a
//! dependency upgrade. Distributions that need `ln`, `sqrt` or `cos` go through `libm`,
//! whose results do not depend on the platform's maths library.

use crate::hash::fnv1a64;

/// A deterministic pseudo-random stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: [u64; 4],
}

/// One step of SplitMix64: a good mixer, used to expand seeds.
pub const fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole state is expanded from `seed`.
    pub fn from_seed(seed: u64) -> Rng {
        let mut sm = seed;
        let state = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        // xoshiro must not start from all zeros; SplitMix64 never yields four zeros in a
        // row, but the assertion documents the requirement.
        debug_assert!(state.iter().any(|&word| word != 0));
        Rng { state }
    }

    /// The stream `name`/`index` of a run seeded with `seed`. Streams with different names
    /// or indices are independent, so adding a draw to one subsystem (say the workload)
    /// does not shift the random choices of another (say the network).
    pub fn stream(seed: u64, name: &str, index: u64) -> Rng {
        let mut sm = seed ^ fnv1a64(name.as_bytes());
        let mixed = splitmix64(&mut sm) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng::from_seed(mixed)
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.state[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.state[1] << 17;
        self.state[2] ^= self.state[0];
        self.state[3] ^= self.state[1];
        self.state[1] ^= self.state[2];
        self.state[0] ^= self.state[3];
        self.state[2] ^= t;
        self.state[3] = self.state[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..bound`; `bound` must be positive.
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "Rng::below needs a positive bound");
        // Lemire's multiply-shift: unbiased enough for a simulator and branch-free.
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// True with probability `p` (clamped to `[0, 1]`). Always draws, so the stream
    /// advances the same way whatever `p` is.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit_f64() < p
    }

    /// Uniform in `[low, high)`.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit_f64()
    }

    /// Exponentially distributed with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        -mean * libm::log(1.0 - self.unit_f64())
    }

    /// Normally distributed (Box–Muller), using one pair of draws per sample so the
    /// stream's position never depends on cached state.
    pub fn normal(&mut self, mean: f64, std_dev: f64) -> f64 {
        let u1 = 1.0 - self.unit_f64();
        let u2 = self.unit_f64();
        let radius = libm::sqrt(-2.0 * libm::log(u1));
        mean + std_dev * radius * libm::cos(2.0 * core::f64::consts::PI * u2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::stream(7, "network", 0);
        let mut b = Rng::stream(7, "network", 0);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn streams_are_independent_by_name_and_index() {
        let first = |name, index| Rng::stream(7, name, index).next_u64();
        assert_ne!(first("network", 0), first("faults", 0));
        assert_ne!(first("node", 0), first("node", 1));
        assert_ne!(
            Rng::stream(7, "node", 0).next_u64(),
            Rng::stream(8, "node", 0).next_u64()
        );
    }

    #[test]
    fn output_is_pinned_across_platforms() {
        // The first outputs for seed 0, computed once and pinned: if this changes, every
        // saved scenario's fingerprint changes with it.
        let mut rng = Rng::from_seed(0);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(first, pinned_seed_zero());
    }

    fn pinned_seed_zero() -> Vec<u64> {
        vec![
            0x99ec_5f36_cb75_f2b4,
            0xbf6e_1f78_4956_452a,
            0x1a5f_849d_4933_e6e0,
        ]
    }

    #[test]
    fn distributions_have_plausible_means() {
        let mut rng = Rng::from_seed(42);
        let samples = 20_000;
        let mean =
            |f: &mut dyn FnMut() -> f64| (0..samples).map(|_| f()).sum::<f64>() / samples as f64;
        let exp_mean = mean(&mut || rng.exponential(10.0));
        assert!((exp_mean - 10.0).abs() < 0.5, "exponential mean {exp_mean}");
        let normal_mean = mean(&mut || rng.normal(5.0, 2.0));
        assert!((normal_mean - 5.0).abs() < 0.1, "normal mean {normal_mean}");
        let unit_mean = mean(&mut || rng.unit_f64());
        assert!((unit_mean - 0.5).abs() < 0.02, "unit mean {unit_mean}");
        assert!((0..1000).all(|_| rng.below(3) < 3));
    }
}
