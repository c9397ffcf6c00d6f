//! What things cost, as data: the AWS price table and the service (and size) a blueprint
//! node is priced as. Below the node kinds, so a blueprint can name a node's service; the
//! estimator that applies the prices to simulated traffic is [`crate::cost`].
//!
//! - [`table`]: the price table, shipped as data (`assets/pricing/aws-us-east-1.ron`) and
//!   embedded, so the native and web builds price alike. Every price has a unit, tiers, a
//!   source and a date.
//! - [`spec`]: the optional `cost:` field of a blueprint node, naming the AWS service and
//!   size it maps to.

pub mod spec;
pub mod table;

pub use spec::CostSpec;
pub use table::{CapacityUnit, Price, PriceTable, Provenance, Tier, Unit};
