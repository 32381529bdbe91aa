//! Per-thread memos of the model's pure steps: the chain's calls and the adversary's hand
//! (its moves that the contract does not refuse).
//!
//! The checker asks the same question again and again. A transaction waits in the mempool,
//! a refused move in the adversary's hand, while the network and the nodes move around them:
//! each interleaving executed the same call on the same contract at the same time anew
//! (`Contract::executed` was 13.8% of a model check, measured with `perf`), and tried the
//! same refused move again, a copy of the whole state each time, to throw it away (refused
//! moves are 482,802 of the 859,196 moves offered over the default configuration's state
//! space). Here the second asking returns the first answer: an accepted call's successors
//! share its contract (the same `Arc`, its hash already computed), and a state whose deal was
//! seen before is offered its hand without a move being tried.
//!
//! Each step memoised is a pure function of what its entry keeps: [`executed`] of the
//! contract, the call and the time; [`hand`] of what [`Deal`] names (the contract, the node
//! and its knowledge, the time, the moves made, and the mempool when the adversary may copy
//! reports from it). An entry is compared with the question in full before it is used (the
//! table's key is only their hash), so only an answer to the same question is reused. The
//! tables are looked up, never iterated, so they cannot change an outcome or an order; they
//! are bounded (a full table is cleared, which costs recomputation only), per thread (no
//! lock), and bypassed while a planted bug is in force, as the implementation's own memo
//! tables are (`diversity::protocol::memo`), so that an answer computed without the bug is
//! never reused with it.
//!
//! The hands' entries share one knowledge of each value ([`canonical`]), and the last pair
//! of knowledges found equal is kept, so that most comparisons of knowledge are of two
//! pointers (measured when a memo of refusals kept them: the default configuration on one
//! thread took 1.83–2.15 s of user time with them and 2.08–2.28 s without).
//!
//! The hand is the largest saving: a refused move is left out of the actions offered
//! altogether (it leads nowhere, so no transition changes), and a state whose deal was seen
//! before gets its hand without generating, hashing and asking about each move again. About
//! nine states in ten are dealt a hand seen before on the default configuration (about 17,000
//! deals of about 190,000 askings, one thread), and its check took 1.65–1.77 s of user time
//! with the hand against 1.84–1.93 s without (one thread, best of five to eight alternate
//! runs, on a noisy machine).
//!
//! Tried and dropped, measured by the user time of the default configuration on one thread:
//! a third memo of the nodes' steps (a delivery or a clock step of the same node, at the same
//! time, on the same contract) answered 76% of them and still cost more than it saved (2.13 s
//! against 1.93 s without either new memo, 1.82 s with the refusals' alone); and a
//! direct-mapped table, which evicts on every collision, in place of the cleared hash map
//! (2.13 s against 1.94 s). A memo of each refused move (by contract, knowledge, time and
//! move), which the hand made redundant: with the hand in front of it, the default
//! configuration took 1.47–1.60 s of user time with it and 1.48–1.53 s without (eight
//! alternate runs each), and states reached at N = 3 in 15 s were the same within the
//! noise; it was removed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::thread::LocalKey;

use diversity::actors::node::Node;
use diversity::protocol::contract::{Call, Contract, ContractError, Event};
use diversity::protocol::crypto::Secp256k1;
use diversity::protocol::mutant;
use diversity::shared::Shared;

use crate::protocol::{ByzMove, Sender};
use diversity::protocol::contract::Tx;
use std::collections::BTreeSet;

pub type Chain = Shared<Contract<Secp256k1>>;
pub type Answer = Result<(Chain, Vec<Event>), ContractError>;
pub type Knowledge = Shared<Node<Secp256k1>>;
pub type Done = Shared<Vec<BTreeSet<(u32, ByzMove)>>>;
pub type Mempool = Shared<BTreeSet<(Sender, Tx)>>;

/// Entries a thread's table holds before it is cleared. Each keeps a contract or two (and a
/// node's knowledge) alive.
const BOUND: usize = 1 << 14;

/// A bounded table of entries, keyed by a hash of their question. It is made at its full
/// size and its entries are boxed: a move or a call is hundreds of bytes, and a table that
/// held them inline was copied into fresh memory each time it grew (the default
/// configuration took 1.71–2.15 s of user time on one thread so, 1.81–2.23 s before; ten
/// alternate runs each).
struct Table<E>(HashMap<u64, Box<E>, rustc_hash::FxBuildHasher>);

impl<E> Default for Table<E> {
    fn default() -> Self {
        Self(HashMap::with_capacity_and_hasher(BOUND, Default::default()))
    }
}

/// What the entry for `key` answers (`answer`: `None` if it is another question's).
fn lookup<E, A>(
    table: &'static LocalKey<RefCell<Table<E>>>,
    key: u64,
    answer: impl FnOnce(&E) -> Option<A>,
) -> Option<A> {
    table.with(|t| t.borrow().0.get(&key).and_then(|e| answer(e)))
}

fn remember<E>(table: &'static LocalKey<RefCell<Table<E>>>, key: u64, entry: E) {
    table.with(|t| {
        let mut t = t.borrow_mut();
        if t.0.len() >= BOUND {
            t.0.clear();
        }
        t.0.insert(key, Box::new(entry));
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
    KEYS.hash_one(question)
}

struct ChainEntry {
    chain: Chain,
    call: Call,
    now: u64,
    answer: Answer,
}

/// What the adversary's hand is dealt from: the model (its configuration decides which
/// moves there are), the contract, the moving node and its knowledge, the time, the moves
/// made (each at most once), and the mempool when a power reads it (report copying).
#[derive(Clone, Copy, Hash)]
pub struct Deal<'a> {
    pub scope: u64,
    pub chain: &'a Chain,
    pub node: usize,
    pub knowledge: &'a Knowledge,
    pub now: u64,
    pub done: &'a Done,
    pub mempool: Option<&'a Mempool>,
}

struct HandEntry {
    scope: u64,
    chain: Chain,
    node: usize,
    knowledge: Knowledge,
    now: u64,
    done: Done,
    mempool: Option<Mempool>,
    hand: Vec<ByzMove>,
}

// An entry is found by a 64-bit hash of its question; these say whether it is the answer to
// the question asked, compared in full, so that two questions whose hashes collide are never
// given each other's answers.

impl ChainEntry {
    fn answers(&self, chain: &Chain, call: &Call, now: u64) -> bool {
        self.now == now && self.chain == *chain && self.call == *call
    }
}

impl HandEntry {
    fn answers(&self, deal: &Deal) -> bool {
        self.now == deal.now
            && self.scope == deal.scope
            && self.node == deal.node
            && self.done == *deal.done
            && self.mempool.as_ref() == deal.mempool
            && self.chain == *deal.chain
            && same_knowledge(&self.knowledge, deal.knowledge)
    }
}

thread_local! {
    /// Keyed by the entry's hash already (an aHash): `FxHash` of a `u64` is one multiply.
    static CHAIN: RefCell<Table<ChainEntry>> = RefCell::default();
    static HANDS: RefCell<Table<HandEntry>> = RefCell::default();
    static KNOWN: RefCell<Table<Knowledge>> = RefCell::default();
    static SAME: RefCell<Option<(Knowledge, Knowledge)>> = const { RefCell::new(None) };
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
        e.answers(chain, call, now).then(|| e.answer.clone())
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

/// Whether two knowledges are equal. Equal values reached by different paths are different
/// shares, and comparing them in full was a third of the cost of the memo of refused moves
/// that came before the hands (`Node::eq`, 5.6% of a model check under `perf`, fifth round).
/// So the table's entries share one knowledge of each value ([`canonical`]), and the last
/// pair found equal is kept, so that a knowledge asked about again compares two pointers.
/// (Not measured again for the hands alone.) The pair holds both shares, so neither address
/// can be reused for another value while it is kept.
fn same_knowledge(entry: &Knowledge, asked: &Knowledge) -> bool {
    if Shared::ptr_eq(entry, asked) {
        return true;
    }
    let known = SAME.with(|pair| {
        pair.borrow()
            .as_ref()
            .is_some_and(|(e, a)| Shared::ptr_eq(e, entry) && Shared::ptr_eq(a, asked))
    });
    if known {
        return true;
    }
    let equal = entry == asked;
    if equal {
        SAME.with(|pair| *pair.borrow_mut() = Some((entry.clone(), asked.clone())));
    }
    equal
}

/// The share of `knowledge`'s value that the hands' entries keep: the first one met (of
/// those the bounded table still holds).
fn canonical(knowledge: &Knowledge) -> Knowledge {
    let k = key(knowledge);
    if let Some(kept) = lookup(&KNOWN, k, |kept| (kept == knowledge).then(|| kept.clone())) {
        return kept;
    }
    remember(&KNOWN, k, knowledge.clone());
    knowledge.clone()
}

/// The adversary's hand for `deal`: `deal_hand()`, which must be a function of what
/// [`Deal`] names alone, asked once for each value of it (a thread's table holds).
pub fn hand(deal: &Deal, deal_hand: impl FnOnce() -> Vec<ByzMove>) -> Vec<ByzMove> {
    let k = key(deal);
    if let Some(hand) = lookup(&HANDS, k, |e| e.answers(deal).then(|| e.hand.clone())) {
        return hand;
    }
    let hand = deal_hand();
    remember(
        &HANDS,
        k,
        HandEntry {
            scope: deal.scope,
            chain: deal.chain.clone(),
            node: deal.node,
            knowledge: canonical(deal.knowledge),
            now: deal.now,
            done: deal.done.clone(),
            mempool: deal.mempool.cloned(),
            hand: hand.clone(),
        },
    );
    hand
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

    /// A hand is dealt once for its deal: asked again with the same parts (the knowledge
    /// in another share of the same value), it is the first answer; another deal is dealt
    /// again.
    #[test]
    fn a_hand_is_dealt_once_for_its_deal() {
        use crate::protocol::ByzMove;
        use std::cell::Cell;
        let model = DiversityModel::new(ModelConfig::default());
        let state = model.init_states().pop().expect("one initial state");
        let dealt = Cell::new(0);
        let ask = |deal: &Deal| {
            hand(deal, || {
                dealt.set(dealt.get() + 1);
                vec![ByzMove::Finalize]
            })
        };
        let deal = Deal {
            scope: 0,
            chain: &state.chain,
            node: 0,
            knowledge: &state.nodes[0],
            now: 5,
            done: &state.byz_done,
            mempool: None,
        };
        assert_eq!(ask(&deal), vec![ByzMove::Finalize]);
        assert_eq!(ask(&deal), vec![ByzMove::Finalize]);
        let copy = Shared::new((*state.nodes[0]).clone());
        assert_eq!(
            ask(&Deal {
                knowledge: &copy,
                ..deal
            }),
            vec![ByzMove::Finalize]
        );
        assert_eq!(dealt.get(), 1);
        // Another deal is dealt again (each part that can differ is tried on its own by
        // `an_entry_answers_its_own_question_only`).
        assert_eq!(ask(&Deal { now: 6, ..deal }), vec![ByzMove::Finalize]);
        assert_eq!(dealt.get(), 2);
    }

    /// Knowledge is compared by value, whichever share holds it: the entries keep the first
    /// share of a value met, an equal value in another share is the same knowledge (asked
    /// twice, the second time from the pair kept), and another value is not, even after a
    /// pair was found equal.
    #[test]
    fn equal_knowledge_in_another_share_is_the_same_question() {
        let model = DiversityModel::new(ModelConfig::default());
        let state = model.init_states().pop().expect("one initial state");
        let first = state.nodes[0].clone();
        let copy = Shared::new((*first).clone());
        assert!(!Shared::ptr_eq(&first, &copy) && first == copy);
        assert!(Shared::ptr_eq(&canonical(&first), &first));
        assert!(Shared::ptr_eq(&canonical(&copy), &first));
        assert!(same_knowledge(&first, &copy));
        assert!(same_knowledge(&first, &copy));
        assert!(!same_knowledge(&first, &state.nodes[1]));
        assert!(same_knowledge(&first, &copy));
    }

    /// An entry answers its own question only: the same in every part, and no other where a
    /// single part differs (what a collision of two questions' hashes would bring together;
    /// the tables' lookups alone never show it, since the hash is a fair 64-bit one).
    #[test]
    fn an_entry_answers_its_own_question_only() {
        use crate::protocol::ByzMove;
        let model = DiversityModel::new(ModelConfig::default());
        let state = model.init_states().pop().expect("one initial state");
        let chain = state.chain.clone();
        let other_chain = Shared::new(
            chain
                .executed(
                    &Call {
                        from: model.address(crate::protocol::Sender::Wallet(0)),
                        value: model.params.deposits[0],
                        tx: Tx::Deposit,
                    },
                    0,
                )
                .expect("a deposit")
                .0,
        );
        assert!(other_chain != chain);
        let call = Call {
            from: model.address(crate::protocol::Sender::Wallet(0)),
            value: 0,
            tx: Tx::Abort,
        };
        let other_call = Call {
            tx: Tx::Close,
            ..call.clone()
        };
        let entry = ChainEntry {
            chain: chain.clone(),
            call: call.clone(),
            now: 3,
            answer: Err(ContractError::AlreadyPaid),
        };
        assert!(entry.answers(&chain, &call, 3));
        assert!(!entry.answers(&other_chain, &call, 3));
        assert!(!entry.answers(&chain, &other_call, 3));
        assert!(!entry.answers(&chain, &call, 4));

        let (knowledge, other_knowledge) = (&state.nodes[0], &state.nodes[1]);

        let done = Shared::new(vec![BTreeSet::from([(0, ByzMove::Fund)]), BTreeSet::new()]);
        let deal = Deal {
            scope: 0,
            chain: &chain,
            node: 0,
            knowledge,
            now: 3,
            done: &state.byz_done,
            mempool: None,
        };
        let entry = HandEntry {
            scope: 0,
            chain: chain.clone(),
            node: 0,
            knowledge: knowledge.clone(),
            now: 3,
            done: state.byz_done.clone(),
            mempool: None,
            hand: Vec::new(),
        };
        assert!(entry.answers(&deal));
        for other in [
            Deal {
                chain: &other_chain,
                ..deal
            },
            Deal { scope: 1, ..deal },
            Deal { node: 1, ..deal },
            Deal {
                knowledge: other_knowledge,
                ..deal
            },
            Deal { now: 4, ..deal },
            Deal {
                done: &done,
                ..deal
            },
            Deal {
                mempool: Some(&state.mempool),
                ..deal
            },
        ] {
            assert!(!entry.answers(&other));
        }
    }
}
