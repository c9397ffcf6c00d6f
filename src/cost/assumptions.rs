//! What the estimate assumes, in sentences printed with it.

use super::config::EstimateConfig;
use super::services::messaging::{CONSUMER_INSTANCE, CONSUMER_INSTANCE_VCPUS};
use crate::pricing::PriceTable;

pub(super) fn assumptions(table: &PriceTable, config: &EstimateConfig) -> Vec<String> {
    vec![
        format!(
            "Prices: AWS {} on-demand list prices, table as of {} (assets/pricing/aws-us-east-1.ron gives each price's source and date).",
            table.region, table.as_of
        ),
        format!(
            "A month is {} hours; traffic runs steadily all month at the simulated rate.",
            table.hours_per_month
        ),
        format!(
            "Each multiple is simulated for {} s (seed {}); a node above {:.0}% utilization gets more replicas, cores or consumers and the run is repeated (at most {} runs).",
            config.duration_s,
            config.seed,
            config.target_utilization * 100.0,
            config.max_runs
        ),
        "A service replica is one instance or task; a cache replica one shard; a database's cores pick the smallest class of its family with that many vCPUs.".into(),
        format!(
            "Queue consumers run on {CONSUMER_INSTANCE} ({CONSUMER_INSTANCE_VCPUS} vCPUs): as many instances as their cores need (one core a consumer unless the queue's `cores` says otherwise, as in the simulation)."
        ),
        format!(
            "Instances are spread over {} availability zones; every internal call carries one response's bytes, and answers from a database, cache or instance to an instance cross zones {:.0}% of the time.",
            config.availability_zones,
            (1.0 - 1.0 / f64::from(config.availability_zones.max(1))) * 100.0
        ),
        "Bytes to users are the successful responses; request bodies and headers are not counted. Storage does not grow with traffic within the month.".into(),
    ]
}
