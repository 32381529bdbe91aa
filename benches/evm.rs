//! EVM execution speed (transactions per second on revm, release build): one RDA reading,
//! one SA session, and one DIVERSITY fast-path window for the default micro grid. Timing
//! only reports; exact gas is pinned by `tests/gas.rs`.

use alloy_sol_types::SolCall;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use diversity::evm::abi::{IRda, ISa};
use diversity::evm::gas::diversity::{GasGrid, DEFAULT_PROSUMERS};
use diversity::evm::gas::logging::LOGGER;
use diversity::evm::{artifacts, Evm, Hardfork};
use diversity::protocol::contract::{Call, Tx};
use diversity::{B256, U256};

fn deployed(name: &str) -> (Evm, diversity::Address) {
    let mut evm = Evm::new(Hardfork::Prague);
    let r = evm
        .deploy(LOGGER, artifacts::bytecode(Hardfork::Prague, name))
        .unwrap();
    (evm, r.created.unwrap())
}

fn logging(c: &mut Criterion) {
    let mut g = c.benchmark_group("evm");
    g.throughput(Throughput::Elements(1));
    let (mut evm, rda) = deployed("RdaStore");
    let mut ts = 1_577_836_800u32;
    g.bench_function("RDA store: one reading", |b| {
        b.iter(|| {
            ts += 900;
            let data = IRda::logCall {
                timestamp: ts,
                wh: 143,
            }
            .abi_encode();
            assert!(evm.call(LOGGER, rda, U256::ZERO, data).unwrap().success);
        })
    });
    let (mut evm, sa) = deployed("SaStore");
    let mut session = 0u32;
    g.bench_function("SA store: one session total", |b| {
        b.iter(|| {
            session += 1;
            let data = ISa::logTotalCall {
                session,
                totalWh: 416_000,
            }
            .abi_encode();
            assert!(evm.call(LOGGER, sa, U256::ZERO, data).unwrap().success);
        })
    });
    // A fresh funded contract per iteration: the window can be settled only once.
    let grid = GasGrid::new(DEFAULT_PROSUMERS, 0);
    let result = grid.result(0, grid.params.genesis_hash(), B256::repeat_byte(1));
    let call = Call {
        from: grid.params.nodes[0],
        value: 0,
        tx: Tx::SubmitWindow {
            signatures: grid.certificate(&result),
            result,
        },
    };
    let at = grid.window_end(0) + 60;
    g.bench_function("DIVERSITY: submitWindow, N=10", |b| {
        b.iter_batched(
            || grid.deploy(Hardfork::Prague),
            |mut contract| contract.execute(&call, at).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, logging);
criterion_main!(benches);
