//! What an architecture costs on AWS, and how that changes with traffic.
//!
//! - [`prices`]: the price table, shipped as data (`assets/pricing/aws-us-east-1.ron`) and
//!   embedded, so the native and web builds price alike. Every price has a unit, tiers, a
//!   source and a date.
//! - [`spec`]: the optional `cost:` field of a blueprint node, naming the AWS service and
//!   size it maps to (each kind has a default).
//! - [`flow`]: expected reads and writes per node and edge, from the blueprint's structure.
//! - [`estimate`]: runs the blueprint headless at 1x, 2x, 5x and 10x its rate, sizes each
//!   node from its simulated load, prices the traffic, and says which line item grows
//!   fastest and where the cost curve bends.
//!
//! The figures are list-price estimates, not bills.

pub mod estimate;
pub mod flow;
pub mod prices;
pub mod spec;

pub use estimate::{
    Bend, CostLine, DISCLAIMER, Estimate, EstimateConfig, Growth, LineItem, MULTIPLES, NodeCost,
    Point, estimate, lambda_break_even_rps, price_run,
};
pub use prices::{Price, PriceTable, Provenance, Tier, Unit};
pub use spec::CostSpec;
