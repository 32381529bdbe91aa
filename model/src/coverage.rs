//! What a run of the model exercised (`diversity check --simulate` reports it): how often
//! each kind of action was taken, each contract function accepted, and each contract error
//! hit. The model counts the calls when its `coverage` is on (off for exhaustive runs,
//! where it would only cost time); the walks count the actions.

use std::collections::BTreeMap;
use std::sync::Mutex;

use diversity::actors::node::error_name;
use serde::Serialize;

/// Counts, by name, in name order (deterministic output).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CoverageCounts {
    /// Actions taken (a Byzantine node's by its move; a refused move is not taken, and shows
    /// as a refused call).
    pub actions: BTreeMap<String, u64>,
    /// Contract calls accepted, by function.
    pub accepted: BTreeMap<String, u64>,
    /// Contract calls refused, by function and error.
    pub refused: BTreeMap<String, u64>,
}

/// Shared by the checker's threads; one lock a count is cheap beside a model step.
#[derive(Debug, Default)]
pub struct Coverage(Mutex<CoverageCounts>);

impl Coverage {
    /// A contract call's outcome; a refusal is counted by the error's variant, named as the
    /// nodes' own statistics name it (`error_name`).
    pub fn call<E: Serialize>(&self, function: &str, result: Result<(), &E>) {
        let mut c = self.0.lock().expect("coverage");
        match result {
            Ok(()) => bump(&mut c.accepted, function),
            Err(e) => bump(&mut c.refused, &format!("{function}: {}", error_name(e))),
        }
    }

    pub fn counts(&self) -> CoverageCounts {
        self.0.lock().expect("coverage").clone()
    }
}

pub(crate) fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(v) => *v += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    enum E {
        Named { x: u8 },
    }

    #[test]
    fn counts_by_name_in_order() {
        let c = Coverage::default();
        c.call::<E>("close", Ok(()));
        c.call("close", Err(&E::Named { x: 0 }));
        let k = c.counts();
        assert_eq!(k.accepted["close"], 1);
        assert_eq!(k.refused["close: Named"], 1);
    }
}
