//! Scenario files: a named failure with its story (what it is, what it moves, a real-world
//! example, the mitigations that help) and a timeline of injections, for reproducible runs and
//! talks. Also the command line's `--chaos NAME@START[+DURATION][:TARGET]`.

mod builtin;
mod file;
mod flag;
mod mitigation;
mod moves;

pub use builtin::BUILTIN_SCENARIOS;
pub use file::{MARGIN, OPEN_ENDED_S, SETTLE_S, Scenario};
pub use flag::parse_chaos_flag;
pub use mitigation::{Change, Mitigation};
pub use moves::{Direction, Metric, Moved, Moves};
