//! Command-line values: durations, numbers, flags, each with an error that names the flag.

/// Parses a duration: `120s`, `2m`, `500ms`, `1h`, or plain seconds (`90`). Returns seconds.
pub fn parse_duration(flag: &str, value: &str) -> Result<f64, String> {
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
                "{flag}: unknown unit \"{other}\" in \"{value}\"; expected ms, s, m or h (e.g. 120s, 2m)"
            ));
        }
    };
    let n: f64 = number.parse().map_err(|_| {
        format!(
            "{flag}: \"{value}\" is not a duration; expected a number with a unit, e.g. 120s or 2m"
        )
    })?;
    if !(n.is_finite() && n > 0.0) {
        return Err(format!(
            "{flag}: the duration must be > 0, found \"{value}\""
        ));
    }
    Ok(n * scale)
}

/// Parses a number > 0.
pub fn parse_positive(flag: &str, value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n),
        _ => Err(format!("{flag}: expected a number > 0, found \"{value}\"")),
    }
}

/// Parses an unsigned integer.
pub fn parse_u64(flag: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: expected a whole number >= 0, found \"{value}\""))
}

/// Positional arguments and (flag, value) pairs.
type Split<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>);

/// Splits arguments into positional ones and `--flag value` pairs, checking flag names.
pub fn split<'a>(
    args: &'a [String],
    flags_with_value: &[&str],
    switches: &[&str],
) -> Result<Split<'a>, String> {
    let mut positional = Vec::new();
    let mut flags = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if let Some(name) = a.strip_prefix("--") {
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (name, None),
            };
            let flag = &a[..2 + name.len()];
            if switches.contains(&flag) {
                flags.push((flag, ""));
            } else if flags_with_value.contains(&flag) {
                let value = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        args.get(i)
                            .map(String::as_str)
                            .ok_or_else(|| format!("{flag} needs a value"))?
                    }
                };
                flags.push((flag, value));
            } else {
                let mut known: Vec<&str> =
                    flags_with_value.iter().chain(switches).copied().collect();
                known.sort_unstable();
                return Err(format!(
                    "unknown option {flag}; expected one of: {}",
                    known.join(", ")
                ));
            }
        } else {
            positional.push(a);
        }
        i += 1;
    }
    Ok((positional, flags))
}
