//! Number formatting shared by the reports, the docs the tests render and the tests that
//! check the docs' figures.

/// An integer with thousands separators: 258614 → "258,614".
pub fn thousands(n: impl std::fmt::Display) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
