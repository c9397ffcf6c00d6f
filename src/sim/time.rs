//! Simulated time: integer nanoseconds, never rounded to ticks.

/// A point or span of simulated time, in nanoseconds.
pub type Nanos = u64;

/// Nanoseconds in a millisecond.
pub const NS_PER_MS: Nanos = 1_000_000;
/// Nanoseconds in a second.
pub const NS_PER_S: Nanos = 1_000_000_000;

/// Milliseconds (as written in blueprints) to nanoseconds, rounded to the nearest one.
pub fn ms_to_ns(ms: f64) -> Nanos {
    if ms <= 0.0 {
        0
    } else {
        (ms * NS_PER_MS as f64).round() as Nanos
    }
}

/// Nanoseconds to milliseconds, for reports.
pub fn ns_to_ms(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_MS as f64
}

/// Nanoseconds to seconds, for reports.
pub fn ns_to_s(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_S as f64
}

/// True for a number > 0 (false for NaN, unlike `!(x <= 0.0)`).
pub fn positive(x: f64) -> bool {
    x > 0.0
}

/// Parses a duration as people write it: `120s`, `2m`, `500ms`, `1h`, or plain seconds
/// (`90`). Returns seconds (> 0). The error says what was wrong and what is expected, without
/// naming where the text came from (the caller adds that; see [`parse_duration`]).
pub fn parse_duration_s(value: &str) -> Result<f64, String> {
    let v = value.trim();
    let (number, unit) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, "s"),
    };
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "unknown unit \"{other}\" in \"{value}\"; expected ms, s, m or h (e.g. 120s, 2m)"
            ));
        }
    };
    let n: f64 = number.parse().map_err(|_| {
        format!("\"{value}\" is not a duration; expected a number with a unit, e.g. 120s or 2m")
    })?;
    if !(n.is_finite() && n > 0.0) {
        return Err(format!("the duration must be > 0, found \"{value}\""));
    }
    Ok(n * scale)
}

/// [`parse_duration_s`] with an error that starts with `what` (e.g. `--chaos start`).
pub fn parse_duration(what: &str, value: &str) -> Result<f64, String> {
    parse_duration_s(value).map_err(|e| format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration_s("120s"), Ok(120.0));
        assert_eq!(parse_duration_s("2m"), Ok(120.0));
        assert_eq!(parse_duration_s("2min"), Ok(120.0));
        assert_eq!(parse_duration_s("500ms"), Ok(0.5));
        assert_eq!(parse_duration_s("1h"), Ok(3600.0));
        assert_eq!(parse_duration_s(" 90 "), Ok(90.0));
    }

    #[test]
    fn bad_durations_say_what_is_expected() {
        let unit = parse_duration("--window", "3x").unwrap_err();
        assert_eq!(
            unit,
            "--window: unknown unit \"x\" in \"3x\"; expected ms, s, m or h (e.g. 120s, 2m)"
        );
        assert!(
            parse_duration_s("1.5.0s")
                .unwrap_err()
                .contains("is not a duration")
        );
        assert!(parse_duration_s("0s").unwrap_err().contains("must be > 0"));
        assert!(parse_duration_s("-5s").unwrap_err().contains("must be > 0"));
    }
}
