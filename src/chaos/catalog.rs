//! Every chaos kind, one line each: the variant scenario files name (`CacheStampede(...)`),
//! its parameters, and its entry in its family's file, which holds everything else.

use serde::{Deserialize, Serialize};

use super::injecting::Injecting;
use super::kind::Family;
use super::target::Target;
use super::{data, dependency, infrastructure, network, traffic};

/// Declares the [`Chaos`] enum from one line per kind and dispatches to the kind's entry.
macro_rules! chaos_kinds {
    ($($variant:ident($params:ty) = $kind:path;)*) => {
        /// A failure scenario with its parameters, as written in scenario files.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub enum Chaos {
            $(
                #[doc = concat!("The kind described by `chaos::", stringify!($kind), "`.")]
                $variant($params),
            )*
        }

        impl Chaos {
            /// Every kind: (name, family, description, the kind with default parameters).
            pub fn catalog() -> Vec<(&'static str, Family, &'static str, Chaos)> {
                vec![$(
                    ($kind.name, $kind.family, $kind.description, Chaos::$variant(<$params>::default())),
                )*]
            }

            /// The kebab-case name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Chaos::$variant(_) => $kind.name,)*
                }
            }

            /// The target it takes when none is given.
            pub fn default_target(&self) -> Target {
                match self {
                    $(Chaos::$variant(_) => $kind.default_target(),)*
                }
            }

            /// Schedules its effects.
            pub(crate) fn schedule(&self, cx: &mut Injecting) {
                match self {
                    $(Chaos::$variant(p) => ($kind.schedule)(p, cx),)*
                }
            }
        }
    };
}

chaos_kinds! {
    LatencyInjection(network::LatencyParams) = network::LATENCY_INJECTION;
    PacketLoss(network::PacketLossParams) = network::PACKET_LOSS;
    BandwidthCap(network::BandwidthParams) = network::BANDWIDTH_CAP;
    NetworkPartition(network::PartitionParams) = network::NETWORK_PARTITION;
    ConnectionReset(network::ResetParams) = network::CONNECTION_RESET;
    DnsFailure(network::DnsParams) = network::DNS_FAILURE;
    CrossRegionLinkLoss(network::CrossRegionParams) = network::CROSS_REGION_LINK_LOSS;
    NodeFailure(infrastructure::NodeFailureParams) = infrastructure::NODE_FAILURE;
    AzOutage(infrastructure::ZoneParams) = infrastructure::AZ_OUTAGE;
    RegionOutage(infrastructure::RegionParams) = infrastructure::REGION_OUTAGE;
    CpuPressure(infrastructure::PressureParams) = infrastructure::CPU_PRESSURE;
    MemoryPressure(infrastructure::MemoryParams) = infrastructure::MEMORY_PRESSURE;
    DiskPressure(infrastructure::PressureParams) = infrastructure::DISK_PRESSURE;
    CrashLoop(infrastructure::CrashLoopParams) = infrastructure::CRASH_LOOP;
    ClockSkew(infrastructure::ClockSkewParams) = infrastructure::CLOCK_SKEW;
    CapacityLoss(infrastructure::CapacityParams) = infrastructure::CAPACITY_LOSS;
    LeaderLoss(infrastructure::LeaderLossParams) = infrastructure::LEADER_LOSS;
    CacheStampede(data::StampedeParams) = data::CACHE_STAMPEDE;
    CacheFlush(data::FlushParams) = data::CACHE_FLUSH;
    HotKey(data::HotKeyParams) = data::HOT_KEY;
    HotPartition(data::HotPartitionParams) = data::HOT_PARTITION;
    DatabaseFailover(data::FailoverParams) = data::DATABASE_FAILOVER;
    ReplicationLag(data::LagParams) = data::REPLICATION_LAG;
    PoolExhaustion(data::PoolParams) = data::POOL_EXHAUSTION;
    SlowQueries(infrastructure::PressureParams) = data::SLOW_QUERIES;
    ConsumerLag(infrastructure::PressureParams) = data::CONSUMER_LAG;
    BrokerDown(data::BrokerParams) = data::BROKER_DOWN;
    PartitionRebalance(data::RebalanceParams) = data::PARTITION_REBALANCE;
    RequestSpike(traffic::SpikeParams) = traffic::REQUEST_SPIKE;
    ThunderingHerd(traffic::HerdParams) = traffic::THUNDERING_HERD;
    RetryStorm(traffic::RetryStormParams) = traffic::RETRY_STORM;
    BotFlood(traffic::BotParams) = traffic::BOT_FLOOD;
    ReconnectStorm(traffic::ReconnectStormParams) = traffic::RECONNECT_STORM;
    UpstreamErrors(dependency::UpstreamParams) = dependency::UPSTREAM_ERRORS;
    SlowDependency(dependency::SlowParams) = dependency::SLOW_DEPENDENCY;
    LlmOutage(dependency::LlmParams) = dependency::LLM_OUTAGE;
    LimiterDown(dependency::LimiterDownParams) = dependency::LIMITER_DOWN;
    LlmRateLimit(dependency::RateLimitParams) = dependency::LLM_RATE_LIMIT;
    ToolTimeout(dependency::ToolHangParams) = dependency::TOOL_TIMEOUT;
}

impl Chaos {
    /// The kind called `name` (kebab-case) with default parameters.
    pub fn by_name(name: &str) -> Result<Chaos, String> {
        Chaos::catalog()
            .into_iter()
            .find(|(n, ..)| *n == name)
            .map(|(.., c)| c)
            .ok_or_else(|| {
                let names: Vec<&str> = Chaos::catalog().into_iter().map(|(n, ..)| n).collect();
                format!(
                    "unknown chaos scenario \"{name}\"; expected one of: {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_default_target_parses() {
        let catalog = Chaos::catalog();
        for (i, (name, _, _, chaos)) in catalog.iter().enumerate() {
            assert_eq!(chaos.name(), *name);
            assert!(
                catalog[i + 1..].iter().all(|(n, ..)| n != name),
                "{name} twice"
            );
            let _ = chaos.default_target();
        }
    }
}
