//! How the CLI's tables write numbers; the estimate's own number words are in
//! [`crate::cost::format`], shared so that tables and sentences agree.

use crate::cost::format::dollars;

/// Whole dollars with separators (cents below $100).
pub(super) fn money(usd: f64) -> String {
    dollars(usd).trim_start_matches('$').to_string()
}
