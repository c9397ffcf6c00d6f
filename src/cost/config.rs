//! How an estimate is run: the traffic multiples, the simulated time and seed of each run,
//! the utilization sizes keep under.

/// The traffic multiples the curve is drawn at.
pub const MULTIPLES: [f64; 4] = [1.0, 2.0, 5.0, 10.0];

/// How an estimate is run.
#[derive(Clone, Debug, PartialEq)]
pub struct EstimateConfig {
    /// Multiples of the blueprint's rate to price, ascending.
    pub multiples: Vec<f64>,
    /// Simulated seconds of each run.
    pub duration_s: f64,
    /// Seed of every run.
    pub seed: u64,
    /// Utilization a sized node should stay under (0..1).
    pub target_utilization: f64,
    /// Availability zones the instances are spread over (for cross-zone transfer).
    pub availability_zones: u32,
    /// Runs at one multiple before the sizes are taken as they are.
    pub max_runs: u32,
}

impl Default for EstimateConfig {
    fn default() -> Self {
        EstimateConfig {
            multiples: MULTIPLES.to_vec(),
            duration_s: 20.0,
            seed: 1,
            target_utilization: 0.7,
            availability_zones: 2,
            max_runs: 6,
        }
    }
}
