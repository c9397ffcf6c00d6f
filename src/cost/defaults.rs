//! The AWS service a node is priced as when its blueprint names none: its kind's default.
//! The default belongs to the node kinds and moves into each kind's file; until then it is
//! this one function.

use crate::blueprint::NodeSpec;
use crate::nodes::NodeKind;
use crate::pricing::CostSpec;
use crate::pricing::spec::{Ec2Spec, ElastiCacheSpec, LoadBalancerSpec, NatSpec, RdsSpec, SqsSpec};

/// The service a node of `kind` maps to when its blueprint says nothing; `None` for traffic
/// sources, which cost nothing themselves.
pub fn default_spec(kind: &NodeKind) -> Option<CostSpec> {
    Some(match kind {
        NodeKind::Client(_) => return None,
        NodeKind::LoadBalancer(_) => CostSpec::Alb(LoadBalancerSpec::default()),
        NodeKind::Service(_) => CostSpec::Ec2(Ec2Spec::default()),
        NodeKind::Cache(_) => CostSpec::ElastiCache(ElastiCacheSpec::default()),
        NodeKind::Cdn(_) => CostSpec::CloudFront,
        NodeKind::Database(_) => CostSpec::Rds(RdsSpec::default()),
        NodeKind::MessageQueue(_) => CostSpec::Sqs(SqsSpec::default()),
        NodeKind::ExternalApi(_) => CostSpec::Nat(NatSpec::default()),
    })
}

/// The spec a node is priced with: its own, or its kind's default.
pub fn spec_of(node: &NodeSpec) -> Option<CostSpec> {
    node.cost.clone().or_else(|| default_spec(&node.kind))
}
