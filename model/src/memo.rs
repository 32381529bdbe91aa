//! Per-thread memos of the model's pure steps: the chain's calls, and the contract's
//! refusals of the adversary's moves.
//!
//! The checker asks the same question again and again. A transaction waits in the mempool,
//! a refused move in the adversary's hand, while the network and the nodes move around them:
//! each interleaving executed the same call on the same contract at the same time anew
//! (`Contract::executed` was 13.8% of a model check, measured with `perf`), and tried the
//! same refused move again, a copy of the whole state each time, to throw it away (refused
//! moves were 1,049,597 of the 1,767,938 moves offered over the default configuration's state
//! space). Here the second asking returns the first answer: an accepted call's successors
//! share its contract (the same `Arc`, its hash already computed), and a refused move is
//! answered before the state is copied.
//!
//! Each step memoised is a pure function of what its entry keeps: [`executed`] of the
//! contract, the call and the time; [`refused`] of the contract, the moving node's knowledge,
//! the time and the move ([`DiversityModel::refusal_is_memoised`] names the moves for which
//! that holds). An entry is compared with the question in full before it is used (the
//! table's key is only their hash), so only an answer to the same question is reused. The
//! tables are looked up, never iterated, so they cannot change an outcome or an order; they
//! are bounded (a full table is cleared, which costs recomputation only), per thread (no
//! lock), and bypassed while a planted bug is in force, as the implementation's own memo
//! tables are (`diversity::protocol::memo`), so that an answer computed without the bug is
//! never reused with it.
//!
//! Tried and dropped, measured by the user time of the default configuration on one thread:
//! a third memo of the nodes' steps (a delivery or a clock step of the same node, at the same
//! time, on the same contract) answered 76% of them and still cost more than it saved (2.13 s
//! against 1.93 s without either new memo, 1.82 s with the refusals' alone); and a
//! direct-mapped table, which evicts on every collision, in place of the cleared hash map
//! (2.13 s against 1.94 s).
//!
//! [`DiversityModel::refusal_is_memoised`]: crate::protocol::DiversityModel::refusal_is_memoised

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::thread::LocalKey;

use diversity::actors::node::Node;
use diversity::protocol::contract::{Call, Contract, ContractError, Event};
use diversity::protocol::crypto::Secp256k1;
use diversity::protocol::mutant;
use diversity::shared::Shared;

use crate::protocol::Action;

pub type Chain = Shared<Contract<Secp256k1>>;
pub type Answer = Result<(Chain, Vec<Event>), ContractError>;
pub type Knowledge = Shared<Node<Secp256k1>>;

/// Entries a thread's table holds before it is cleared. Each keeps a contract or two (and a
/// node's knowledge) alive.
const BOUND: usize = 1 << 14;

/// A bounded table of entries, keyed by a hash of their question.
struct Table<E>(HashMap<u64, E, rustc_hash::FxBuildHasher>);

impl<E> Default for Table<E> {
    fn default() -> Self {
        Self(HashMap::default())
    }
}

/// What the entry for `key` answers (`answer`: `None` if it is another question's).
fn lookup<E, A>(
    table: &'static LocalKey<RefCell<Table<E>>>,
    key: u64,
    answer: impl FnOnce(&E) -> Option<A>,
) -> Option<A> {
    table.with(|t| t.borrow().0.get(&key).and_then(answer))
}

fn remember<E>(table: &'static LocalKey<RefCell<Table<E>>>, key: u64, entry: E) {
    table.with(|t| {
        let mut t = t.borrow_mut();
        if t.0.len() >= BOUND {
            t.0.clear();
        }
        t.0.insert(key, entry);
    });
}

/// The keys of the tables' hashes (any fixed keys do).
static KEYS: ahash::RandomState = ahash::RandomState::with_seeds(
    0x6368_6169_6e5f_6d65,
    0x6d6f_5f6b_6579_735f,
    0x0123_4567_89ab_cdef,
    0xfedc_ba98_7654_3210,
);

fn key(question: impl Hash) -> u64 {
    let mut h = KEYS.build_hasher();
    question.hash(&mut h);
    h.finish()
}

struct ChainEntry {
    chain: Chain,
    call: Call,
    now: u64,
    answer: Answer,
}

struct RefusalEntry {
    chain: Chain,
    knowledge: Knowledge,
    now: u64,
    action: Action,
}

thread_local! {
    /// Keyed by the entry's hash already (an aHash): `FxHash` of a `u64` is one multiply.
    static CHAIN: RefCell<Table<ChainEntry>> = RefCell::default();
    static REFUSED: RefCell<Table<RefusalEntry>> = RefCell::default();
}

/// `chain.executed(call, now)`, with the resulting contract [`Shared`]: the answer memoised
/// for this exact contract, call and time.
pub fn executed(chain: &Chain, call: &Call, now: u64) -> Answer {
    let run = || {
        chain
            .executed(call, now)
            .map(|(next, events)| (Shared::new(next), events))
    };
    if mutant::any_active() {
        return run();
    }
    let k = key((chain, call, now));
    let hit = lookup(&CHAIN, k, |e| {
        (e.now == now && e.chain == *chain && e.call == *call).then(|| e.answer.clone())
    });
    if let Some(answer) = hit {
        return answer;
    }
    let answer = run();
    remember(
        &CHAIN,
        k,
        ChainEntry {
            chain: chain.clone(),
            call: call.clone(),
            now,
            answer: answer.clone(),
        },
    );
    answer
}

/// Steps `node` on `input` at `now` with `step` (the node's handling of it, a pure function
/// of the node, the input, the time and the contract), and returns what the node asks for:
/// the answer memoised for this exact node, input, time and contract, whose node `node` then
/// shares.
/// Whether the adversary's `action` was refused before ([`refusal`]) by this contract, with
/// this knowledge of the moving node, at this time.
pub fn refused(chain: &Chain, knowledge: &Knowledge, now: u64, action: &Action) -> bool {
    lookup(&REFUSED, key((chain, knowledge, now, action)), |e| {
        (e.now == now && e.action == *action && e.chain == *chain && e.knowledge == *knowledge)
            .then_some(())
    })
    .is_some()
}

/// Records that `action` was refused by this contract, with this knowledge, at this time.
pub fn refusal(chain: &Chain, knowledge: &Knowledge, now: u64, action: &Action) {
    remember(
        &REFUSED,
        key((chain, knowledge, now, action)),
        RefusalEntry {
            chain: chain.clone(),
            knowledge: knowledge.clone(),
            now,
            action: action.clone(),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{DiversityModel, ModelConfig};
    use diversity::protocol::contract::Tx;
    use stateright::Model;

    /// The memo answers exactly what the contract answers, for an accepted and a refused
    /// call, asked twice; and the second answer shares the first one's contract.
    #[test]
    fn the_memo_answers_what_the_contract_answers() {
        let model = DiversityModel::new(ModelConfig::default());
        let state = model.init_states().pop().expect("one initial state");
        let chain = state.chain.clone();
        let deposit = Call {
            from: model.address(crate::protocol::Sender::Wallet(0)),
            value: model.params.deposits[0],
            tx: Tx::Deposit,
        };
        let refused = Call {
            value: deposit.value + 1,
            ..deposit.clone()
        };
        for call in [&deposit, &refused] {
            let direct = chain.executed(call, 0).map(|(c, e)| (Shared::new(c), e));
            let first = executed(&chain, call, 0);
            let second = executed(&chain, call, 0);
            assert_eq!(first, direct);
            assert_eq!(second, direct);
            if let (Ok((a, _)), Ok((b, _))) = (&first, &second) {
                assert!(std::ptr::eq(&**a, &**b), "a hit shares the contract");
            }
        }
        assert!(executed(&chain, &deposit, 0).is_ok());
        assert!(executed(&chain, &refused, 0).is_err());
        // Another time is another question.
        assert_eq!(
            executed(&chain, &deposit, 1),
            chain
                .executed(&deposit, 1)
                .map(|(c, e)| (Shared::new(c), e))
        );
    }

    /// A refusal is remembered for its own question only: the same move at another time,
    /// or another move, is asked of the contract again.
    #[test]
    fn a_refusal_is_remembered_for_its_own_question() {
        use crate::protocol::{Action, ByzMove};
        let model = DiversityModel::new(ModelConfig::default());
        let state = model.init_states().pop().expect("one initial state");
        let (chain, knowledge) = (&state.chain, &state.nodes[0]);
        let finalize = Action::Byzantine {
            node: 0,
            step: ByzMove::Finalize,
        };
        let open = Action::Byzantine {
            node: 0,
            step: ByzMove::OpenDispute,
        };
        assert!(!refused(chain, knowledge, 7, &finalize));
        refusal(chain, knowledge, 7, &finalize);
        assert!(refused(chain, knowledge, 7, &finalize));
        assert!(!refused(chain, knowledge, 8, &finalize));
        assert!(!refused(chain, knowledge, 7, &open));
        assert!(!refused(chain, &state.nodes[1], 7, &finalize));
    }
}
