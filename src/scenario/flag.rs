//! The command line's `--chaos NAME@START[+DURATION][:TARGET]`.

use crate::chaos::{Chaos, Injection, Target};
use crate::sim::parse_duration;

/// Parses `NAME@START[+DURATION][:TARGET]` (times like `30s`, `2m`; targets as in
/// [`Target::parse`]).
pub fn parse_chaos_flag(spec: &str) -> Result<Injection, String> {
    let (name, rest) = spec.split_once('@').ok_or_else(|| {
        format!("--chaos \"{spec}\": expected NAME@START[+DURATION][:TARGET], e.g. cache-stampede@30s or node-failure@30s+60s:app-1")
    })?;
    let chaos = Chaos::by_name(name.trim())?;
    let (times, target) = match rest.split_once(':') {
        Some((t, target)) => (t, Some(Target::parse(target)?)),
        None => (rest, None),
    };
    let (start, duration) = match times.split_once('+') {
        Some((s, d)) => (s, Some(parse_duration("--chaos duration", d)?)),
        None => (times, None),
    };
    let at_s = if start.trim() == "0" {
        0.0
    } else {
        parse_duration("--chaos start", start)?
    };
    Ok(Injection {
        chaos,
        target,
        at_s,
        duration_s: duration,
    })
}
