//! The implementation's hot paths: verifying a meter-signed reading (the EIP-712 digest,
//! the low-s rule and recovery with libsecp256k1) against a raw k256 verification of the
//! same signature, and aggregating a window of readings into `f`'s totals.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use diversity::protocol::crypto::{recover_secp256k1, SecretKey};
use diversity::protocol::eip712::{sign_reading, Domain};
use diversity::protocol::reading_set::ReadingSet;
use diversity::protocol::types::Reading;
use diversity::Address;
use k256::ecdsa::{signature::hazmat::PrehashVerifier, Signature, VerifyingKey};

fn verification(c: &mut Criterion) {
    let scalar = alloy_primitives::keccak256("bench/meter").0;
    let key = SecretKey::from_bytes(scalar).expect("a valid scalar");
    let domain = Domain::new(1, Address::repeat_byte(0xcc));
    let reading = Reading {
        meter: key.address(),
        slot: 7,
        produced_wh: 120,
        consumed_wh: 143,
    };
    let signed = sign_reading(&key, &domain, reading);
    let digest = domain.reading_digest(&reading);
    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("reading: digest + low-s + libsecp256k1 recover", |b| {
        b.iter(|| {
            let d = domain.reading_digest(&signed.reading);
            assert_eq!(
                recover_secp256k1(&d, &signed.signature).unwrap(),
                key.address()
            );
        })
    });
    let sk = k256::ecdsa::SigningKey::from_slice(&scalar).unwrap();
    let vk = VerifyingKey::from(&sk);
    let sig = Signature::from_slice(&signed.signature.0[..64]).unwrap();
    g.bench_function("raw k256 verify_prehash (public key known)", |b| {
        b.iter(|| vk.verify_prehash(digest.as_slice(), &sig).unwrap())
    });
    g.finish();
}

fn aggregation(c: &mut Criterion) {
    // One window of the default micro grid: 10 meters × 2,928 slots.
    let keys: Vec<SecretKey> = (0..10)
        .map(|i| SecretKey::from_label(&format!("bench/meter/{i}")))
        .collect();
    let domain = Domain::new(1, Address::repeat_byte(0xcc));
    let readings: Vec<_> = (0..2_928u64)
        .flat_map(|slot| {
            keys.iter().enumerate().map(move |(m, k)| {
                (
                    m,
                    Reading {
                        meter: k.address(),
                        slot,
                        produced_wh: slot % 300,
                        consumed_wh: 100 + m as u64,
                    },
                )
            })
        })
        .map(|(m, r)| (m, sign_reading(&keys[m], &domain, r)))
        .collect();
    let mut g = c.benchmark_group("aggregate");
    g.throughput(Throughput::Elements(readings.len() as u64));
    g.sample_size(20);
    g.bench_function("window of 29,280 verified readings into f", |b| {
        b.iter_batched(
            || ReadingSet::new(0, 10),
            |mut set| {
                for (m, r) in &readings {
                    set.add(*m, *r).unwrap();
                }
                set
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, verification, aggregation);
criterion_main!(benches);
