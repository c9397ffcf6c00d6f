//! How the estimate writes numbers in its prose (the findings and the bend's steps); the CLI's
//! table prints them the same way.

/// `10x`, `2.5x`.
pub fn multiple_name(multiple: f64) -> String {
    if multiple.fract() == 0.0 {
        format!("{multiple:.0}x")
    } else {
        format!("{multiple}x")
    }
}

/// A whole number with thousands separators.
pub fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < -0.5 {
        out.insert(0, '-');
    }
    out
}

/// Dollars, rounded for reading.
pub fn dollars(usd: f64) -> String {
    if usd.abs() >= 100.0 {
        format!("${}", thousands(usd))
    } else {
        format!("${usd:.2}")
    }
}
