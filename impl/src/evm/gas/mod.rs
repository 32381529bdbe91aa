//! Gas measurements on revm (docs/gas.md): the paper's three logging strategies, the
//! DIVERSITY contract's fast path as N grows, its worst-case dispute, and every entry point.

pub mod diversity;
pub mod logging;
pub mod price;
pub mod report;
