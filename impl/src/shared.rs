//! [`Shared`]: an immutable value shared by the model checker's states, that hashes once.
//!
//! A model checker clones a state for every transition and fingerprints every state it
//! reaches; a transition changes one node's window, say, and leaves the rest as it was.
//! Behind a `Shared`, an unchanged part is neither copied (an `Arc`) nor hashed again: its
//! hash is computed the first time it is asked for and kept with the value. A change
//! ([`Shared::make_mut`]) copies the value if another state holds it and forgets the hash.
//!
//! Equality is the value's; the hash is a function of the value (a fixed-key aHash of it, the
//! hasher stateright fingerprints states with), so equal values hash alike, whichever states
//! they are in, and the checker's state counts are those of the values.

use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

pub struct Shared<T>(Arc<Inner<T>>);

struct Inner<T> {
    value: T,
    hash: OnceLock<u64>,
}

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Self(Arc::new(Inner {
            value,
            hash: OnceLock::new(),
        }))
    }

    /// Whether both are the same share (not only equal values): a test that costs nothing.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl<T: Clone> Shared<T> {
    /// The value, to change: copied first if another state shares it; its hash is forgotten.
    pub fn make_mut(&mut self) -> &mut T {
        let inner = Arc::make_mut(&mut self.0);
        inner.hash = OnceLock::new();
        &mut inner.value
    }
}

impl<T: Hash> Shared<T> {
    /// The value's hash: an aHash with fixed keys, so the same on every run. (It was a
    /// SipHash, three quarters of a model check's fingerprinting; aHash is the checker's own.)
    fn digest(&self) -> u64 {
        *self
            .0
            .hash
            .get_or_init(|| DIGEST_KEYS.hash_one(&self.0.value))
    }
}

/// The fixed keys of [`Shared`]'s digests (any fixed keys do: they only have to be the same
/// for every state of a run).
static DIGEST_KEYS: ahash::RandomState = ahash::RandomState::with_seeds(
    0x6469_7665_7273_6974,
    0x7920_7368_6172_6564,
    0x0d15_ea5e_cafe_f00d,
    0x5eed_5eed_5eed_5eed,
);

/// Only [`Shared::make_mut`] copies an `Inner` (to change its value), so the copy starts
/// without a hash rather than copy one that is forgotten at once.
impl<T: Clone> Clone for Inner<T> {
    fn clone(&self) -> Self {
        Self {
            value: self.value.clone(),
            hash: OnceLock::new(),
        }
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T> AsRef<T> for Shared<T> {
    fn as_ref(&self) -> &T {
        &self.0.value
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Self::ptr_eq(self, other) || self.0.value == other.0.value
    }
}

impl<T: Eq> Eq for Shared<T> {}

/// The value's order (a share is equal to itself without a look).
impl<T: Ord> PartialOrd for Shared<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> Ord for Shared<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Self::ptr_eq(self, other) {
            return std::cmp::Ordering::Equal;
        }
        self.0.value.cmp(&other.0.value)
    }
}

impl<T: Hash> Hash for Shared<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.digest());
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.value.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of<T: Hash>(t: &T) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    #[test]
    fn equal_values_hash_alike_and_a_change_is_rehashed() {
        let a = Shared::new(vec![1u8, 2, 3]);
        let b = Shared::new(vec![1u8, 2, 3]);
        assert_eq!(a, b);
        assert_eq!(hash_of(&a), hash_of(&b));
        let mut c = a.clone();
        let before = hash_of(&c);
        c.make_mut().push(4);
        assert_ne!(
            hash_of(&c),
            before,
            "a changed value must not keep its old hash"
        );
        assert_ne!(c, a);
        assert_eq!(*a, vec![1, 2, 3], "the other state's value is unchanged");
        c.make_mut().pop();
        assert_eq!(c, a);
        assert_eq!(hash_of(&c), hash_of(&a));
    }
}
