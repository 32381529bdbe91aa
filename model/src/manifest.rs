//! The manifest of expected results, `model/manifest.json` (after tlaplus/Examples): every
//! configuration the suite pins, with its unique states, depth and witnesses, and every
//! planted bug with the property it must violate and the length of its counterexample
//! (breadth first).
//!
//! One test (`tests/manifest.rs`) checks every configuration against it, `tests/mutants.rs`
//! checks every planted bug, and [`render_markdown`] writes the tables of
//! `docs/model-checking.md` from it (a test checks that the docs show the manifest), so the
//! counts in the code, the tests and the docs cannot drift apart.
//!
//! Every figure here is deterministic: configurations are checked depth first on one
//! thread (the same witnesses on every run; the depth is the deepest the search went) and
//! planted bugs breadth first on one thread (a short counterexample: stateright hands its
//! queue out in jobs, which can reorder the levels, so not always the shortest). Timings are not
//! in the manifest: they vary from machine to machine and from run to run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::checking::{check, CheckReport, Search, Stop};
use crate::protocol::ModelConfig;

/// The manifest's text, as committed.
pub const MANIFEST_JSON: &str = include_str!("../manifest.json");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub configurations: Vec<Entry>,
    pub mutants: Vec<MutantEntry>,
}

/// One configuration checked exhaustively.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A short name, unique in the manifest.
    pub name: String,
    /// What the configuration shows.
    pub about: String,
    /// The configuration (fields left out take the default configuration's values).
    pub config: ModelConfig,
    pub unique_states: usize,
    /// The deepest state the depth-first search reached, in actions from an initial state.
    pub max_depth: usize,
    /// Every `sometimes` property, with the number of actions of its depth-first witness.
    pub witnesses: BTreeMap<String, usize>,
    /// Checked by `.ci/run` alone (`tests/manifest.rs`, the ignored
    /// `every_long_configuration_gives_what_the_manifest_says`), not by the README's test
    /// command: it takes minutes. Left out of JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub long: bool,
}

/// One planted bug (`diversity::protocol::mutant`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MutantEntry {
    pub mutant: String,
    /// The configuration it is checked on (left-out fields take the default's).
    pub config: ModelConfig,
    /// The property the bug must violate: the one it is named for.
    pub violates: String,
    /// The number of actions of the shortest counterexample.
    pub steps: usize,
}

impl Manifest {
    /// The committed manifest. It is part of the build, so a broken one fails every test
    /// that reads it, with serde's message naming the place.
    pub fn committed() -> Manifest {
        serde_json::from_str(MANIFEST_JSON).expect("model/manifest.json is well formed")
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("the manifest serialises");
        s.push('\n');
        s
    }
}

/// What one exhaustive run of an entry's configuration found, in the manifest's terms.
pub struct Observed {
    pub entry: Entry,
    pub report: CheckReport,
}

impl Observed {
    /// Every invariant held, every witness was reached, and the search was complete.
    pub fn ok(&self) -> bool {
        self.report.ok()
    }
}

/// Checks `entry`'s configuration exhaustively, the manifest's way (depth first, one
/// thread), and returns the entry as this run would write it.
pub fn observe(entry: &Entry) -> Observed {
    let report = check(
        entry.config.clone(),
        Search::Dfs,
        1,
        None,
        Stop::Never,
        &mut |_| {},
    );
    let witnesses = report
        .properties
        .iter()
        .filter(|p| p.kind == "sometimes")
        .map(|p| (p.name.clone(), p.steps.unwrap_or(0)))
        .collect();
    Observed {
        entry: Entry {
            unique_states: report.unique_states,
            max_depth: report.max_depth,
            witnesses,
            ..entry.clone()
        },
        report,
    }
}

/// Checks a planted bug the manifest's way (breadth first, one thread, until the named
/// property is discovered) and returns the entry as this run would write it, with the
/// report. The caller selects the mutant (the selection is process-wide).
pub fn observe_mutant(entry: &MutantEntry) -> (MutantEntry, CheckReport) {
    let report = check(
        entry.config.clone(),
        Search::Bfs,
        1,
        None,
        Stop::AtDiscoveryOf(entry.violates.clone()),
        &mut |_| {},
    );
    let steps = report
        .properties
        .iter()
        .find(|p| p.name == entry.violates && p.status == "violated")
        .and_then(|p| p.steps)
        .unwrap_or(0);
    (
        MutantEntry {
            steps,
            ..entry.clone()
        },
        report,
    )
}

/// The reductions and restrictions a configuration is checked with, by id.
pub fn reductions(c: &ModelConfig) -> String {
    let mut r = Vec::new();
    if c.reduce {
        r.push("POR-REDUNDANT-001");
        if c.synchronous {
            r.push("POR-READINGS-001");
            r.push("POR-SIGNED-001");
        }
        if c.context == crate::protocol::Context::Next && c.environment_lag() < c.first_bound_lag()
        {
            r.push("SYM-LAG-001");
        }
    }
    if c.in_order {
        r.push("A-NET-ORDER-001 (a restriction)");
    }
    if r.is_empty() {
        "none".into()
    } else {
        r.join(", ")
    }
}

/// The options of `diversity check` for a configuration, as the docs show them.
pub fn command(c: &ModelConfig) -> String {
    let args = c.cli_args();
    if args.is_empty() {
        "(the default)".into()
    } else {
        format!("`{}`", args.join(" "))
    }
}

/// The text between the manifest markers of `docs/model-checking.md`.
pub fn render_markdown(m: &Manifest) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| configuration | `diversity check` options | reductions | unique states | depth |"
    );
    let _ = writeln!(s, "|---|---|---|---:|---:|");
    for e in &m.configurations {
        let _ = writeln!(
            s,
            "| **{}**{}: {} | {} | {} | {} | {} |",
            e.name,
            if e.long {
                " (long: `.ci/run` only)"
            } else {
                ""
            },
            e.about,
            command(&e.config),
            reductions(&e.config),
            thousands(e.unique_states),
            e.max_depth
        );
    }
    // Witnesses: one column per `sometimes` property any configuration has.
    let mut names: Vec<&str> = Vec::new();
    for e in &m.configurations {
        for n in e.witnesses.keys() {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
    }
    names.sort();
    let headers: Vec<String> = names.iter().map(|n| short_name(n, &names)).collect();
    let _ = writeln!(
        s,
        "\nThe length, in actions, of each configuration's witnesses, the REACH-…-001 properties (depth first, one thread; \
         – where the configuration has no such witness):\n"
    );
    let _ = writeln!(s, "| configuration | {} |", headers.join(" | "));
    let _ = writeln!(s, "|---|{}", "---:|".repeat(names.len()));
    for e in &m.configurations {
        let cells: Vec<String> = names
            .iter()
            .map(|n| e.witnesses.get(*n).map_or("–".into(), |v| v.to_string()))
            .collect();
        let _ = writeln!(s, "| {} | {} |", e.name, cells.join(" | "));
    }
    let _ = writeln!(
        s,
        "\nEvery planted bug, the property it must violate, and the counterexample stateright's \
         breadth-first search gives on one thread (short, not always the shortest: it hands its \
         queue out in jobs, which can reorder the levels):\n"
    );
    let _ = writeln!(
        s,
        "| mutant | configuration | violates | counterexample (actions) |"
    );
    let _ = writeln!(s, "|---|---|---|---:|");
    for mt in &m.mutants {
        // A witness a mutant must leave unreached has no counterexample: the whole space is
        // searched.
        let steps = if mt.violates.starts_with("REACH-") {
            "never reached (whole space)".to_string()
        } else {
            mt.steps.to_string()
        };
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            mt.mutant,
            command(&mt.config),
            mt.violates,
            steps
        );
    }
    s
}

/// "REACH-CLOSE-001 closed and paid out" → "CLOSE"; where two properties share an id
/// (the two REACH-BOND-001), the second word of the description tells them apart.
fn short_name(name: &str, all: &[&str]) -> String {
    let id = name.split_whitespace().next().unwrap_or(name);
    let short = id
        .trim_start_matches("REACH-")
        .trim_end_matches("-001")
        .to_string();
    let shared = all
        .iter()
        .filter(|n| n.split_whitespace().next() == Some(id))
        .count()
        > 1;
    match name.split_whitespace().nth(2) {
        Some(word) if shared => format!("{short} ({word})"),
        _ => short,
    }
}

pub use diversity::text::thousands;

/// Markers around the rendered manifest in `docs/model-checking.md`.
pub const DOCS_BEGIN: &str = "<!-- manifest: begin (rendered from model/manifest.json by tests/manifest.rs; do not edit) -->";
pub const DOCS_END: &str = "<!-- manifest: end -->";

/// `docs` with the text between the markers replaced by the rendering of `m`; `None` if
/// the markers are missing.
pub fn splice_docs(docs: &str, m: &Manifest) -> Option<String> {
    let begin = docs.find(DOCS_BEGIN)? + DOCS_BEGIN.len();
    let end = docs[begin..].find(DOCS_END)? + begin;
    Some(format!(
        "{}\n{}{}",
        &docs[..begin],
        render_markdown(m),
        &docs[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_manifest_parses_and_names_are_unique() {
        let m = Manifest::committed();
        let mut names: Vec<&str> = m.configurations.iter().map(|e| e.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), m.configurations.len());
        assert!(m
            .configurations
            .iter()
            .any(|e| e.config == ModelConfig::default()));
        assert_eq!(Manifest::committed().to_json(), MANIFEST_JSON);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(258_614), "258,614");
        assert_eq!(thousands(1_596_550), "1,596,550");
    }

    #[test]
    fn a_broken_manifest_is_refused_by_name() {
        let e = serde_json::from_str::<Manifest>(
            r#"{"configurations":[{"name":"x","about":"","config":{"nodez":3},"unique_states":1,"max_depth":1,"witnesses":{}}],"mutants":[]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("nodez"), "{e}");
        let e = serde_json::from_str::<ModelConfig>(r#"{"economy":"huge"}"#).unwrap_err();
        assert!(e.to_string().contains("huge"), "{e}");
    }
}
