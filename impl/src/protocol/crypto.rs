//! secp256k1 keys and 65-byte Ethereum signatures (spec §4.1).
//!
//! > Every signature is `r ‖ s ‖ v` over a keccak256 digest, with `v ∈ {27, 28}` and
//! > `s ≤ n/2` (low-s). A verifier MUST reject a high-s signature even though `ecrecover`
//! > would accept it: readings are identified by `(meter, slot)`, but rejecting malleated
//! > encodings keeps every signed object to one byte string. (INV-REPLAY-001)
//!
//! [`Recover`] abstracts recovery so that the model checker can substitute symbolic
//! signatures while sharing every other line of protocol code (see `docs/`).

use std::collections::HashMap;
use std::fmt;

use alloy_primitives::{keccak256, Address, B256, U256};
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, PublicKey, SECP256K1};
use serde::{Deserialize, Serialize};

/// Half the secp256k1 group order: the largest `s` a canonical signature may carry.
pub const SECP256K1_HALF_ORDER: U256 = U256::from_be_slice(&[
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// A 65-byte Ethereum signature `r ‖ s ‖ v`, serialised as `0x`-hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature65(pub [u8; 65]);

impl Signature65 {
    pub fn r(&self) -> B256 {
        B256::from_slice(&self.0[..32])
    }
    pub fn s(&self) -> B256 {
        B256::from_slice(&self.0[32..64])
    }
    pub fn v(&self) -> u8 {
        self.0[64]
    }
    pub fn from_parts(r: B256, s: B256, v: u8) -> Self {
        let mut b = [0u8; 65];
        b[..32].copy_from_slice(r.as_slice());
        b[32..64].copy_from_slice(s.as_slice());
        b[64] = v;
        Signature65(b)
    }
    /// The other valid encoding of the same signature: `(r, n - s, v ^ 1)`.
    /// Used by tests and by the bad-input injector to show malleated signatures are refused.
    pub fn malleate(&self) -> Self {
        let n = SECP256K1_HALF_ORDER * U256::from(2) + U256::from(1);
        let s = U256::from_be_bytes(self.s().0);
        let s2 = n - s;
        let v2 = if self.v() == 27 { 28 } else { 27 };
        Self::from_parts(self.r(), B256::from(s2.to_be_bytes::<32>()), v2)
    }
}

impl fmt::Debug for Signature65 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", alloy_primitives::hex::encode(self.0))
    }
}

impl Serialize for Signature65 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", alloy_primitives::hex::encode(self.0)))
    }
}

impl<'de> Deserialize<'de> for Signature65 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = alloy_primitives::hex::decode(s.trim_start_matches("0x"))
            .map_err(serde::de::Error::custom)?;
        let arr: [u8; 65] = bytes.try_into().map_err(|b: Vec<u8>| {
            serde::de::Error::custom(format!("a signature has 65 bytes, got {}", b.len()))
        })?;
        Ok(Signature65(arr))
    }
}

/// Why a signature was refused. Each variant names one problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error, Serialize)]
pub enum SignatureError {
    #[error("v must be 27 or 28, got {0}")]
    BadV(u8),
    #[error("s is in the upper half of the curve order (malleated signature)")]
    HighS,
    #[error("r or s is zero or not below the curve order")]
    OutOfRange,
    #[error("no public key recovers from this signature")]
    NoRecovery,
}

/// Checks the encoding rules of spec §4.1 and recovers the signer with libsecp256k1,
/// exactly as the EVM's `ecrecover` precompile would (plus the low-s rule).
pub fn recover_secp256k1(digest: &B256, sig: &Signature65) -> Result<Address, SignatureError> {
    let v = sig.v();
    if v != 27 && v != 28 {
        return Err(SignatureError::BadV(v));
    }
    let s = U256::from_be_bytes(sig.s().0);
    if s > SECP256K1_HALF_ORDER
        && !crate::protocol::mutant::active(crate::protocol::mutant::Mutant::AcceptHighS)
    {
        return Err(SignatureError::HighS);
    }
    if sig.r().is_zero() || s.is_zero() {
        return Err(SignatureError::OutOfRange);
    }
    let recid = RecoveryId::try_from(i32::from(v - 27)).map_err(|_| SignatureError::BadV(v))?;
    let rsig = RecoverableSignature::from_compact(&sig.0[..64], recid)
        .map_err(|_| SignatureError::OutOfRange)?;
    let key = SECP256K1
        .recover_ecdsa(Message::from_digest(digest.0), &rsig)
        .map_err(|_| SignatureError::NoRecovery)?;
    Ok(address_of(&key))
}

/// The Ethereum address of a public key: the last 20 bytes of keccak256 of its
/// uncompressed encoding without the 0x04 prefix.
pub fn address_of(key: &PublicKey) -> Address {
    let point = key.serialize_uncompressed();
    let hash = keccak256(&point[1..]);
    Address::from_slice(&hash[12..])
}

/// Signature recovery, abstracted so the model can use symbolic signatures.
pub trait Recover: Clone {
    fn recover(&self, digest: &B256, sig: &Signature65) -> Result<Address, SignatureError>;
}

/// Real secp256k1 recovery, memoised when made with [`Secp256k1::cached`]. Recovery is a pure
/// function, so a memo changes no outcome; it only spares repeated curve work. The memo is a
/// per-thread table (`protocol::memo`): no lock, only looked up, never iterated, so it cannot
/// affect determinism.
#[derive(Clone, Copy, Default)]
pub struct Secp256k1 {
    memo: bool,
}

impl fmt::Debug for Secp256k1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secp256k1")
    }
}

impl Secp256k1 {
    /// Recovery without a memo.
    pub fn new() -> Self {
        Self { memo: false }
    }
    /// Recovery with the per-thread memo.
    pub fn cached() -> Self {
        Self { memo: true }
    }
}

type Recovered = Result<Address, SignatureError>;

thread_local! {
    static RECOVERED: crate::protocol::memo::Table<(B256, Signature65), Recovered> =
        std::cell::RefCell::new(HashMap::default());
}

impl Recover for Secp256k1 {
    fn recover(&self, digest: &B256, sig: &Signature65) -> Result<Address, SignatureError> {
        // `accept-high-s` changes recovery: no memo while a planted bug is selected.
        if self.memo && !crate::protocol::mutant::any_active() {
            crate::protocol::memo::memo(&RECOVERED, &(*digest, *sig), || {
                recover_secp256k1(digest, sig)
            })
        } else {
            recover_secp256k1(digest, sig)
        }
    }
}

/// A secp256k1 secret key with its address.
#[derive(Clone)]
pub struct SecretKey {
    key: secp256k1::SecretKey,
    address: Address,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.address)
    }
}

impl SecretKey {
    /// A key derived deterministically from a label, so simulations and tests are
    /// reproducible: the scalar is keccak256(label), re-hashed until it is valid.
    /// The 32-byte scalar, for a wallet that signs Ethereum transactions with this key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.secret_bytes()
    }

    pub fn from_label(label: &str) -> Self {
        let mut seed = keccak256(label.as_bytes());
        loop {
            if let Some(k) = Self::from_bytes(seed.0) {
                return k;
            }
            seed = keccak256(seed);
        }
    }

    /// A key from its 32-byte scalar, if the scalar is valid (non-zero, below n).
    pub fn from_bytes(bytes: [u8; 32]) -> Option<Self> {
        let key = secp256k1::SecretKey::from_byte_array(bytes).ok()?;
        let address = address_of(&PublicKey::from_secret_key(SECP256K1, &key));
        Some(Self { key, address })
    }

    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a 32-byte digest: RFC 6979 deterministic nonce, low-s (libsecp256k1 always
    /// normalises), `v = 27 + recovery id`.
    /// RFC 6979 signing is deterministic, so a signature made once is the signature: it is
    /// memoised per thread (the model checker signs the same few digests on every expansion).
    /// The memo is bounded, only looked up, never iterated, so it cannot change an outcome.
    pub fn sign(&self, digest: &B256) -> Signature65 {
        thread_local! {
            static SIGNED: crate::protocol::memo::Table<(Address, B256), Signature65> =
                std::cell::RefCell::new(HashMap::default());
        }
        crate::protocol::memo::memo(&SIGNED, &(self.address, *digest), || {
            let sig = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(digest.0), &self.key);
            to_signature65(&sig)
        })
    }

    /// Signs with extra nonce data mixed into RFC 6979: another valid low-s signature over
    /// the same digest. Only a compromised key does this (spec §15 item 3); tests use it to
    /// show that extra signatures over the same values change nothing.
    pub fn sign_with_nonce_data(&self, digest: &B256, noise: [u8; 32]) -> Signature65 {
        let sig = SECP256K1.sign_ecdsa_recoverable_with_noncedata(
            Message::from_digest(digest.0),
            &self.key,
            &noise,
        );
        to_signature65(&sig)
    }
}

/// `r ‖ s ‖ v` with `v = 27 + recovery id` (libsecp256k1 always outputs low-s).
fn to_signature65(sig: &RecoverableSignature) -> Signature65 {
    let (recid, compact) = sig.serialize_compact();
    let mut bytes = [0u8; 65];
    bytes[..64].copy_from_slice(&compact);
    bytes[64] = 27 + i32::from(recid) as u8;
    Signature65(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_recover_gives_the_signer() {
        let key = SecretKey::from_label("meter-0");
        let digest = keccak256(b"hello");
        let sig = key.sign(&digest);
        assert!(sig.v() == 27 || sig.v() == 28);
        assert_eq!(recover_secp256k1(&digest, &sig), Ok(key.address()));
    }

    #[test]
    fn a_known_private_key_gives_its_known_address() {
        // The private key 0x…01 is the generator; its address is well known.
        let key = SecretKey::from_bytes(U256::from(1).to_be_bytes::<32>()).unwrap();
        assert_eq!(
            key.address(),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
                .parse::<Address>()
                .unwrap()
        );
        assert!(SecretKey::from_bytes([0; 32]).is_none());
    }

    /// Two independent secp256k1 implementations (libsecp256k1 and RustCrypto's k256)
    /// give byte-identical RFC 6979 signatures and the same recovered signer.
    #[test]
    fn libsecp256k1_and_k256_agree() {
        use k256::ecdsa::{SigningKey, VerifyingKey};
        for i in 0..20u8 {
            let label = format!("agree-{i}");
            let key = SecretKey::from_label(&label);
            let digest = keccak256([i]);
            let ours = key.sign(&digest);
            let k = SigningKey::from_bytes((&keccak256(label.as_bytes()).0).into()).unwrap();
            let (sig, recid) = k.sign_prehash_recoverable(digest.as_slice()).unwrap();
            assert_eq!(&ours.0[..64], &sig.to_bytes()[..]);
            assert_eq!(ours.v(), 27 + recid.to_byte());
            let vk = VerifyingKey::recover_from_prehash(digest.as_slice(), &sig, recid).unwrap();
            let point = vk.to_encoded_point(false);
            let addr = Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..]);
            assert_eq!(addr, key.address());
        }
    }

    #[test]
    fn malleated_signature_is_refused_as_high_s() {
        let key = SecretKey::from_label("meter-1");
        let digest = keccak256(b"reading");
        let sig = key.sign(&digest);
        let bad = sig.malleate();
        assert_ne!(bad, sig);
        assert_eq!(recover_secp256k1(&digest, &bad), Err(SignatureError::HighS));
        // Malleating twice gives back the original encoding.
        assert_eq!(bad.malleate(), sig);
        // It is the other encoding of the same signature: the same r, the other parity, and
        // s + s' = n, the order of secp256k1 (SEC 2, written out here, not derived).
        let n = U256::from_str_radix(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
            16,
        )
        .unwrap();
        let (s1, s2) = (
            U256::from_be_bytes(sig.s().0),
            U256::from_be_bytes(bad.s().0),
        );
        assert_eq!(s1 + s2, n);
        assert_eq!(bad.r(), sig.r());
        assert_eq!(bad.v() ^ sig.v(), 27 ^ 28);
    }

    #[test]
    fn bad_v_and_zero_r_are_refused() {
        let key = SecretKey::from_label("meter-2");
        let digest = keccak256(b"x");
        let mut sig = key.sign(&digest);
        sig.0[64] = 1;
        assert_eq!(
            recover_secp256k1(&digest, &sig),
            Err(SignatureError::BadV(1))
        );
        let zero = Signature65::from_parts(B256::ZERO, B256::ZERO, 27);
        assert_eq!(
            recover_secp256k1(&digest, &zero),
            Err(SignatureError::OutOfRange)
        );
        // Either half zero is out of range (§4.1), not left to the library to refuse.
        let good = key.sign(&digest);
        for (r, s) in [(B256::ZERO, good.s()), (good.r(), B256::ZERO)] {
            assert_eq!(
                recover_secp256k1(&digest, &Signature65::from_parts(r, s, 27)),
                Err(SignatureError::OutOfRange)
            );
        }
        // s = n/2 exactly is low (EIP-2 refuses only s > n/2): whatever it recovers, it is
        // not refused as high-s.
        let half = B256::from(SECP256K1_HALF_ORDER.to_be_bytes::<32>());
        let at_bound = Signature65::from_parts(good.r(), half, 27);
        assert_ne!(
            recover_secp256k1(&digest, &at_bound),
            Err(SignatureError::HighS)
        );
        let above = B256::from((SECP256K1_HALF_ORDER + U256::from(1)).to_be_bytes::<32>());
        assert_eq!(
            recover_secp256k1(&digest, &Signature65::from_parts(good.r(), above, 27)),
            Err(SignatureError::HighS)
        );
    }

    /// A key's bytes make the same key (a wallet signs transactions with them), and its
    /// debug form names its address, never its secret.
    #[test]
    fn a_key_round_trips_through_its_bytes_and_prints_no_secret() {
        let key = SecretKey::from_label("wallet-0");
        let bytes = key.to_bytes();
        let again = SecretKey::from_bytes(bytes).expect("a valid scalar");
        assert_eq!(again.address(), key.address());
        let digest = keccak256(b"tx");
        assert_eq!(again.sign(&digest), key.sign(&digest));
        assert_eq!(SecretKey::from_bytes([0; 32]).map(|k| k.address()), None);
        let shown = format!("{key:?}");
        assert_eq!(shown, format!("SecretKey({})", key.address()));
        assert!(!shown.contains(&alloy_primitives::hex::encode(bytes)));
        assert_eq!(format!("{:?}", Secp256k1::cached()), "Secp256k1");
    }

    #[test]
    fn a_signature_reads_as_its_hex() {
        let sig = Signature65::from_parts(B256::repeat_byte(0xab), B256::repeat_byte(0x01), 27);
        assert_eq!(
            format!("{sig:?}"),
            format!("0x{}{}1b", "ab".repeat(32), "01".repeat(32))
        );
    }

    #[test]
    fn signature_serde_round_trip() {
        let sig = SecretKey::from_label("n").sign(&keccak256(b"m"));
        let json = serde_json::to_string(&sig).unwrap();
        let back: Signature65 = serde_json::from_str(&json).unwrap();
        assert_eq!(back, sig);
        assert!(serde_json::from_str::<Signature65>("\"0x1234\"").is_err());
    }

    #[test]
    fn cached_recovery_agrees_with_uncached() {
        let key = SecretKey::from_label("c");
        let d = keccak256(b"d");
        let sig = key.sign(&d);
        let cached = Secp256k1::cached();
        assert_eq!(cached.recover(&d, &sig), Ok(key.address()));
        assert_eq!(cached.recover(&d, &sig), Ok(key.address()));
        assert_eq!(Secp256k1::new().recover(&d, &sig), Ok(key.address()));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(3), failure_persistence: None, ..ProptestConfig::default() })]

        /// Any valid key signs any digest so that recovery gives back its address, the
        /// signature is low-s, and its malleated twin is refused (INV-REPLAY-001).
        #[test]
        fn sign_recover_round_trip(key in any::<[u8; 32]>(), digest in any::<[u8; 32]>()) {
            let Some(key) = SecretKey::from_bytes(key) else { return Ok(()) };
            let d = B256::from(digest);
            let sig = key.sign(&d);
            prop_assert_eq!(recover_secp256k1(&d, &sig), Ok(key.address()));
            prop_assert!(U256::from_be_bytes(sig.s().0) <= SECP256K1_HALF_ORDER);
            prop_assert_eq!(recover_secp256k1(&d, &sig.malleate()), Err(SignatureError::HighS));
            let json = serde_json::to_string(&sig).unwrap();
            prop_assert_eq!(serde_json::from_str::<Signature65>(&json).unwrap(), sig);
        }

        /// A signature over one digest never recovers to the signer over another.
        #[test]
        fn a_signature_binds_its_digest(digest in any::<[u8; 32]>(), flip in 0usize..256) {
            let key = SecretKey::from_label("binds");
            let d = B256::from(digest);
            let mut other = digest;
            other[flip / 8] ^= 1 << (flip % 8);
            let sig = key.sign(&d);
            prop_assert_ne!(recover_secp256k1(&B256::from(other), &sig), Ok(key.address()));
        }
    }
}
