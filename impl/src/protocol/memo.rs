//! Per-thread memo tables for the pure, hot functions of the protocol: EIP-712 digests,
//! leaves and signature recovery. The model checker evaluates the same few readings and
//! results on every expansion; hashing them again is most of its work (measured with
//! callgrind: keccak was half the instructions of a model check before these tables).
//!
//! Each table maps an input to the function's output and is only ever looked up, never
//! iterated, so it cannot change an outcome or an order. Tables are bounded: a full table
//! is cleared, which costs recomputation only. Per thread, so no lock is taken. Keyed with
//! `FxHash`, not SipHash: the keys are digests and readings the protocol itself produced, and
//! SipHash alone was a tenth of a model check's instructions (callgrind).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::thread::LocalKey;

/// Entries a table holds before it is cleared.
pub const BOUND: usize = 1 << 16;

pub type Table<K, V> = RefCell<HashMap<K, V, rustc_hash::FxBuildHasher>>;

/// `f()`, looked up in `table` under `key` first.
pub fn memo<K: Hash + Eq + Clone, V: Copy>(
    table: &'static LocalKey<Table<K, V>>,
    key: &K,
    f: impl FnOnce() -> V,
) -> V {
    if let Some(v) = table.with(|t| t.borrow().get(key).copied()) {
        return v;
    }
    let v = f();
    table.with(|t| {
        let mut t = t.borrow_mut();
        if t.len() >= BOUND {
            t.clear();
        }
        t.insert(key.clone(), v);
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static SQUARES: Table<u64, u64> = RefCell::new(HashMap::default());
    }

    #[test]
    fn a_memo_computes_once_and_clears_when_full() {
        let calls = std::cell::Cell::new(0);
        let square = |x: u64| {
            memo(&SQUARES, &x, || {
                calls.set(calls.get() + 1);
                x * x
            })
        };
        assert_eq!(square(3), 9);
        assert_eq!(square(3), 9);
        assert_eq!(calls.get(), 1);
        for x in 0..BOUND as u64 + 10 {
            assert_eq!(square(x), x * x);
        }
        assert!(SQUARES.with(|t| t.borrow().len()) <= BOUND);
    }
}
