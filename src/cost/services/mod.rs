//! The pricing of each AWS service: one function per service, from a node's simulated
//! traffic and size to the quantities it is billed for. Grouped by what the services are.

pub(super) mod compute;
pub(super) mod data_stores;
pub(super) mod messaging;
pub(super) mod network;
