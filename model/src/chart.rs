//! A trace as a message-sequence chart (SVG), one lane per actor: the meters, each node, the
//! wallets and the chain. `diversity check --chart DIR` writes one for every violated
//! invariant, so that an auditor can read a counterexample without Rust.
//!
//! Time runs down the page; each action is one row: a message is an arrow from its sender
//! to its receiver (a lost one ends in a cross half-way), a transaction an arrow to the
//! chain, and each tick a dashed line across every lane. The output depends only on the
//! trace, so it is the same on every run.

use std::fmt::Write as _;

use crate::protocol::{Action, ByzMove, Sender};

const LANE_WIDTH: usize = 150;
const ROW_HEIGHT: usize = 34;
const TOP: usize = 60;
const LEFT: usize = 90;

/// The lanes of a model of `nodes` prosumers: meters, nodes 0..N, wallets, chain.
fn lanes(nodes: usize) -> Vec<String> {
    let mut l = vec!["meters".to_string()];
    l.extend((0..nodes).map(|j| format!("node {j}")));
    l.push("wallets".into());
    l.push("chain".into());
    l
}

fn node_lane(j: usize) -> usize {
    1 + j
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One row of the chart: from which lane to which, whether it was lost, and its label.
enum Row {
    Tick(u64),
    Arrow {
        from: usize,
        to: usize,
        lost: bool,
        label: String,
    },
}

fn row(nodes: usize, action: &Action) -> Row {
    let chain = nodes + 2;
    let wallets = nodes + 1;
    let label = action.to_string();
    let sender_lane = |s: &Sender| match s {
        Sender::Node(j) => node_lane(*j),
        Sender::Wallet(_) => wallets,
    };
    match action {
        Action::Tick => Row::Tick(0),
        Action::Deliver(e) | Action::Duplicate(e) | Action::Drop(e) => Row::Arrow {
            from: e.from.map_or(0, node_lane),
            to: node_lane(e.to),
            lost: matches!(action, Action::Drop(_)),
            label,
        },
        Action::Include { sender, .. } => Row::Arrow {
            from: sender_lane(sender),
            to: chain,
            lost: false,
            label,
        },
        Action::Withdraw(_) => Row::Arrow {
            from: wallets,
            to: chain,
            lost: false,
            label,
        },
        Action::Byzantine { node, step } => {
            // Signing and sharing go to the peers (drawn to the next node); the rest are
            // transactions.
            let to = match step {
                ByzMove::Sign { .. } | ByzMove::ShareReadings => {
                    node_lane((node + 1) % nodes.max(1))
                }
                _ => chain,
            };
            Row::Arrow {
                from: node_lane(*node),
                to,
                lost: false,
                label,
            }
        }
        // The environment of a window in context acts on the chain, from the wallets' lane.
        Action::Environment(_) => Row::Arrow {
            from: wallets,
            to: chain,
            lost: false,
            label,
        },
    }
}

/// The chart of `trace`: `(time, action)` pairs, in order, as the checker reports them.
pub fn sequence_chart(nodes: usize, title: &str, trace: &[(u64, Action)]) -> String {
    let lanes = lanes(nodes);
    let rows: Vec<Row> = trace
        .iter()
        .map(|(now, a)| match row(nodes, a) {
            Row::Tick(_) => Row::Tick(now + 1),
            r => r,
        })
        .collect();
    let width = LEFT + LANE_WIDTH * lanes.len() + 40;
    let height = TOP + ROW_HEIGHT * (rows.len() + 1) + 20;
    let x = |lane: usize| LEFT + LANE_WIDTH * lane + LANE_WIDTH / 2;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r#"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="black"/></marker></defs>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="14" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for (i, name) in lanes.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-weight="bold">{}</text>"#,
            x(i),
            TOP - 12,
            escape(name)
        );
        let _ = writeln!(
            s,
            r##"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#999"/>"##,
            x(i),
            TOP - 6,
            height - 10
        );
    }
    for (k, r) in rows.iter().enumerate() {
        let y = TOP + ROW_HEIGHT * (k + 1);
        match r {
            Row::Tick(t) => {
                let _ = writeln!(
                    s,
                    r##"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#36c" stroke-dasharray="4 3"/><text x="8" y="{}" fill="#36c">t={t}</text>"##,
                    width - 20,
                    y + 4
                );
            }
            Row::Arrow {
                from,
                to,
                lost,
                label,
            } => {
                let (x1, x2) = (x(*from), x(*to));
                let end = if *lost { (x1 + x2) / 2 } else { x2 };
                let _ = writeln!(
                    s,
                    r#"<line x1="{x1}" y1="{y}" x2="{end}" y2="{y}" stroke="black"{}/>"#,
                    if *lost {
                        ""
                    } else {
                        r#" marker-end="url(#arrow)""#
                    }
                );
                if *lost {
                    let _ = writeln!(
                        s,
                        r##"<path d="M {} {} l 8 8 M {} {} l 8 -8" stroke="#c00" stroke-width="2"/>"##,
                        end - 4,
                        y - 4,
                        end - 4,
                        y + 4
                    );
                }
                let _ = writeln!(
                    s,
                    r#"<text x="{}" y="{}">{}</text>"#,
                    x1.min(x2) + 4,
                    y - 5,
                    escape(label)
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
