//! What an architecture costs on AWS, and how that changes with traffic. The prices and the
//! service each node maps to are data in [`crate::pricing`]; this module applies them to
//! simulated traffic.
//!
//! - [`estimate()`]: runs the blueprint headless at 1x, 2x, 5x and 10x its rate, sizing each
//!   node from its simulated load (`sizing`), pricing each node by its AWS service
//!   (`services`, `usage`) and the traffic between them (`transfer`), and summing it
//!   (`aggregate`) into the report types (`report`).
//! - `curve` says which line item grows fastest and where the cost curve bends; `findings`
//!   and `assumptions` say it in sentences, with numbers written by [`format`].
//! - [`flow`] gives the expected reads and writes per node and edge, from the blueprint's
//!   structure. The service a node maps to when its blueprint names none is its kind's
//!   ([`Kind::default_cost`](crate::nodes::Kind::default_cost)).
//!
//! The figures are list-price estimates, not bills.

mod aggregate;
mod assumptions;
mod config;
mod curve;
mod estimate;
mod findings;
pub mod format;
mod report;
mod services;
mod sizing;
mod transfer;
mod usage;

pub use config::{EstimateConfig, MULTIPLES};
pub use estimate::{estimate, price_run};
pub use report::{Bend, CostLine, DISCLAIMER, Estimate, Growth, LineItem, NodeCost, Point};
pub use services::compute::lambda_break_even_rps;
