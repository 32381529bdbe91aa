//! What a run of the model exercised (`diversity check --simulate` reports it): how often
//! each kind of action was taken, each contract function accepted, and each contract error
//! hit. The model counts the calls when its `coverage` is on (off for exhaustive runs,
//! where it would only cost time); the walks count the actions.

use std::collections::BTreeMap;
use std::sync::Mutex;

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
    pub fn call<E: std::fmt::Debug>(&self, function: &str, result: Result<(), &E>) {
        let mut c = self.0.lock().expect("coverage");
        match result {
            Ok(()) => bump(&mut c.accepted, function),
            Err(e) => bump(&mut c.refused, &format!("{function}: {}", variant_name(e))),
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

/// The variant of an enum value, from its `Debug` form: `DisputeStillOpen { .. }` →
/// `DisputeStillOpen`.
pub fn variant_name<E: std::fmt::Debug>(e: &E) -> String {
    let s = format!("{e:?}");
    s.split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    #[allow(dead_code)]
    enum E {
        Plain,
        Tuple(u8),
        Named { x: u8 },
    }

    #[test]
    fn counts_by_name_in_order() {
        assert_eq!(variant_name(&E::Plain), "Plain");
        assert_eq!(variant_name(&E::Tuple(1)), "Tuple");
        assert_eq!(variant_name(&E::Named { x: 1 }), "Named");
        let c = Coverage::default();
        c.call::<E>("close", Ok(()));
        c.call("close", Err(&E::Named { x: 0 }));
        let k = c.counts();
        assert_eq!(k.accepted["close"], 1);
        assert_eq!(k.refused["close: Named"], 1);
    }
}
