//! The price table: AWS list prices shipped as data in `assets/pricing/aws-us-east-1.ron`,
//! embedded with `include_str!` so the native and the web builds read the same bytes, and
//! parsed into typed entries. Every entry has a unit, tiers, a source URL and a date.

use std::sync::OnceLock;

use ron::extensions::Extensions;
use serde::{Deserialize, Serialize};

/// The RON text of the us-east-1 table, as shipped.
pub const AWS_US_EAST_1_RON: &str = include_str!("../../assets/pricing/aws-us-east-1.ron");

/// A table of list prices for one region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// AWS region, e.g. `us-east-1`.
    pub region: String,
    /// Currency of every price.
    pub currency: String,
    /// The date the prices are current as of (YYYY-MM-DD).
    pub as_of: String,
    /// The date the table was put together (YYYY-MM-DD).
    pub compiled_on: String,
    /// Hours in a billing month (730, AWS's calculator convention).
    pub hours_per_month: f64,
    /// What the table covers and leaves out, and which prices were not in the reference.
    pub notes: Vec<String>,
    /// The prices.
    pub prices: Vec<Price>,
}

/// One price: what it is for, its unit, its tiers and where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Stable name the estimator asks for, e.g. `ec2.m5.large`.
    pub key: String,
    /// AWS service, e.g. `EC2`.
    pub service: String,
    /// What is billed.
    pub what: String,
    /// What one unit of `usd` buys.
    pub unit: Unit,
    /// Volume tiers, ascending; the first starts at 0.
    pub tiers: Vec<Tier>,
    /// vCPUs of an instance type.
    #[serde(default)]
    pub vcpus: Option<f64>,
    /// Memory of an instance type, GiB.
    #[serde(default)]
    pub memory_gib: Option<f64>,
    /// What one load balancer capacity unit (LCU, NLCU) carries, for a price per LCU-hour.
    #[serde(default)]
    pub capacity_unit: Option<CapacityUnit>,
    /// Where the price was read.
    pub source_url: String,
    /// Date of that source (YYYY-MM-DD, or YYYY-MM).
    pub as_of: String,
    /// Whether the price came from the project's reference notes.
    pub origin: Provenance,
}

/// The dimensions of a load balancer capacity unit: an hour is billed at the largest number
/// of units any one dimension needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityUnit {
    /// New connections (or TCP flows) per second one unit carries.
    pub new_connections_per_s: f64,
    /// Active connections (or flows) one unit carries.
    pub active_connections: f64,
    /// GB processed per hour one unit carries.
    pub gb_per_hour: f64,
    /// Where the dimensions were read.
    pub source_url: String,
}

/// A volume tier: from `from` base units used in the month, each unit costs `usd`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Start of the tier in base units a month (hours, GB, GB-seconds or single requests).
    pub from: f64,
    /// Price per unit (see [`Unit`]) within the tier.
    pub usd: f64,
}

/// What one price unit is. Tier bounds and quantities are in the base unit: the same, except
/// that [`Unit::Requests`] prices a block of requests while counting single ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// One hour of one instance, load balancer, gateway, broker, shard or stream.
    Hour,
    /// One vCPU for an hour.
    VcpuHour,
    /// One GB of memory for an hour.
    GbHour,
    /// One Aurora capacity unit for an hour.
    AcuHour,
    /// One load balancer capacity unit for an hour.
    LcuHour,
    /// One GB stored for a month.
    GbMonth,
    /// One GB transferred or processed.
    Gb,
    /// One GB of memory for one second (Lambda duration).
    GbSecond,
    /// A block of this many requests (or request units, or messages).
    Requests(u64),
}

impl Unit {
    /// Base units per priced unit (1, or the block size of [`Unit::Requests`]).
    pub fn base_per_unit(self) -> f64 {
        match self {
            Unit::Requests(n) => n as f64,
            _ => 1.0,
        }
    }

    /// The base unit's name, for reports.
    pub fn base_name(self) -> &'static str {
        match self {
            Unit::Hour => "hours",
            Unit::VcpuHour => "vCPU-hours",
            Unit::GbHour => "GB-hours",
            Unit::AcuHour => "ACU-hours",
            Unit::LcuHour => "LCU-hours",
            Unit::GbMonth => "GB-months",
            Unit::Gb => "GB",
            Unit::GbSecond => "GB-seconds",
            Unit::Requests(_) => "requests",
        }
    }
}

/// Where a price came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Provenance {
    /// In the project's reference notes, from a first-hand source (AWS, or infracost's
    /// fixtures filled from the AWS Price List).
    Reference,
    /// In the reference notes but marked second-hand there: to be checked.
    SecondHand,
    /// Not in the reference: a list price from the AWS pricing page in `source_url`.
    NotInReference,
}

impl Price {
    /// Cost of `quantity` base units used in one month, tiers applied from zero.
    pub fn usd_for(&self, quantity: f64) -> f64 {
        let per = self.unit.base_per_unit();
        let mut usd = 0.0;
        for (i, tier) in self.tiers.iter().enumerate() {
            if quantity <= tier.from {
                break;
            }
            let end = self.tiers.get(i + 1).map_or(f64::INFINITY, |t| t.from);
            usd += (quantity.min(end) - tier.from) / per * tier.usd;
        }
        usd
    }

    /// Index of the tier that the `quantity`-th base unit falls in.
    pub fn tier_at(&self, quantity: f64) -> usize {
        self.tiers
            .iter()
            .rposition(|t| quantity > t.from)
            .unwrap_or(0)
    }

    /// The price per unit in tier `index`.
    pub fn usd_per_unit_in_tier(&self, index: usize) -> f64 {
        self.tiers.get(index).map_or(0.0, |t| t.usd)
    }

    fn validate(&self) -> Result<(), String> {
        let fail = |what: &str| Err(format!("price \"{}\": {what}", self.key));
        if self.key.is_empty() || self.service.is_empty() || self.what.is_empty() {
            return fail("key, service and what must not be empty");
        }
        if !self.source_url.starts_with("https://") {
            return fail("source_url must be an https:// address");
        }
        if !is_date(&self.as_of) {
            return fail("as_of must be a date, YYYY-MM-DD or YYYY-MM");
        }
        match self.tiers.first() {
            Some(first) if first.from == 0.0 => {}
            _ => return fail("tiers must start with one from 0"),
        }
        if self.tiers.windows(2).any(|w| w[1].from <= w[0].from) {
            return fail("tiers must be in ascending order of `from`");
        }
        if self
            .tiers
            .iter()
            .any(|t| !(t.usd.is_finite() && t.usd >= 0.0))
        {
            return fail("every tier's usd must be a number >= 0");
        }
        if matches!(self.unit, Unit::Requests(0)) {
            return fail("Requests(n) needs n >= 1");
        }
        if let Some(lcu) = &self.capacity_unit {
            if self.unit != Unit::LcuHour {
                return fail("capacity_unit belongs to a price per LcuHour");
            }
            let dimensions = [
                lcu.new_connections_per_s,
                lcu.active_connections,
                lcu.gb_per_hour,
            ];
            if dimensions.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
                return fail("every capacity_unit dimension must be > 0");
            }
            if !lcu.source_url.starts_with("https://") {
                return fail("capacity_unit's source_url must be an https:// address");
            }
        }
        Ok(())
    }
}

/// Whether `text` is `YYYY-MM-DD` or `YYYY-MM`.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y, m] => digits(y, 4) && digits(m, 2),
        [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
        _ => false,
    }
}

impl PriceTable {
    /// The shipped us-east-1 table (parsed once).
    pub fn aws_us_east_1() -> &'static PriceTable {
        static TABLE: OnceLock<PriceTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            PriceTable::parse(AWS_US_EAST_1_RON)
                .unwrap_or_else(|e| panic!("assets/pricing/aws-us-east-1.ron: {e}"))
        })
    }

    /// Parses and checks a table: units, ascending tiers from 0, a source and a date on every
    /// entry, unique keys.
    pub fn parse(src: &str) -> Result<PriceTable, String> {
        let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
        let table: PriceTable = options
            .from_str(src)
            .map_err(|e| format!("{}:{}: {}", e.span.start.line, e.span.start.col, e.code))?;
        if !is_date(&table.as_of) || !is_date(&table.compiled_on) {
            return Err("the table's as_of and compiled_on must be dates".into());
        }
        if table.hours_per_month.is_nan() || table.hours_per_month <= 0.0 {
            return Err("hours_per_month must be > 0".into());
        }
        let mut keys = std::collections::BTreeSet::new();
        for price in &table.prices {
            price.validate()?;
            if !keys.insert(price.key.as_str()) {
                return Err(format!("price \"{}\" is listed twice", price.key));
            }
        }
        Ok(table)
    }

    /// The price named `key`, or an error naming the keys that share its first part.
    pub fn get(&self, key: &str) -> Result<&Price, String> {
        self.prices.iter().find(|p| p.key == key).ok_or_else(|| {
            let prefix = key.split('.').next().unwrap_or(key);
            let near: Vec<&str> = self
                .prices
                .iter()
                .filter(|p| p.key.starts_with(prefix))
                .map(|p| p.key.as_str())
                .collect();
            format!(
                "no price \"{key}\" in the {} table; it has: {}",
                self.region,
                near.join(", ")
            )
        })
    }

    /// The entries whose key starts with `prefix` and that have a vCPU count, smallest first:
    /// the sizes of one instance family.
    pub fn family(&self, prefix: &str) -> Vec<&Price> {
        let mut sizes: Vec<&Price> = self
            .prices
            .iter()
            .filter(|p| p.key.starts_with(prefix) && p.vcpus.is_some())
            .collect();
        sizes.sort_by(|a, b| a.vcpus.partial_cmp(&b.vcpus).expect("vCPUs are numbers"));
        sizes
    }

    /// Seconds in a billing month.
    pub fn seconds_per_month(&self) -> f64 {
        self.hours_per_month * 3600.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_loads_and_every_price_has_a_source_and_a_date() {
        let table = PriceTable::parse(AWS_US_EAST_1_RON).expect("the shipped table parses");
        assert_eq!(table.region, "us-east-1");
        assert!(table.prices.len() > 60, "{} prices", table.prices.len());
        for p in &table.prices {
            assert!(p.source_url.starts_with("https://"), "{}", p.key);
            assert!(is_date(&p.as_of), "{}: {}", p.key, p.as_of);
            assert!(!p.tiers.is_empty(), "{}", p.key);
        }
    }

    #[test]
    fn the_table_covers_every_service_the_issue_lists() {
        let table = PriceTable::aws_us_east_1();
        for service in [
            "EC2",
            "Fargate",
            "Lambda",
            "RDS PostgreSQL",
            "RDS",
            "Aurora Serverless v2",
            "DynamoDB",
            "ElastiCache",
            "S3",
            "CloudFront",
            "Data transfer",
            "ALB",
            "NLB",
            "API Gateway",
            "SQS",
            "SNS",
            "Kinesis Data Streams",
            "MSK",
            "NAT Gateway",
            "OpenSearch",
        ] {
            assert!(
                table.prices.iter().any(|p| p.service == service),
                "no {service} price"
            );
        }
    }

    #[test]
    fn the_notes_name_the_prices_not_in_the_reference() {
        let table = PriceTable::aws_us_east_1();
        let notes = table.notes.join(" ");
        for p in table
            .prices
            .iter()
            .filter(|p| p.origin == Provenance::NotInReference)
        {
            assert!(
                notes.contains(&p.service),
                "{} is not in the reference but the notes do not mention {}",
                p.key,
                p.service
            );
        }
    }

    #[test]
    fn tiers_charge_each_slice_at_its_own_rate() {
        let table = PriceTable::aws_us_east_1();
        let dto = table.get("data_transfer.internet_out").unwrap();
        // 100 GB free, then 0.09 up to 10,240 GB, then 0.085.
        assert_eq!(dto.usd_for(50.0), 0.0);
        assert!((dto.usd_for(1_100.0) - 90.0).abs() < 1e-9);
        let to_10tb = (10_240.0 - 100.0) * 0.09;
        assert!((dto.usd_for(11_240.0) - (to_10tb + 1_000.0 * 0.085)).abs() < 1e-9);
        assert_eq!(dto.tier_at(11_240.0), 2);
        let lambda = table.get("lambda.requests").unwrap();
        // 3M invocations: 1M free, 2M at $0.20 per million.
        assert!((lambda.usd_for(3e6) - 0.40).abs() < 1e-12);
    }

    #[test]
    fn load_balancer_capacity_units_carry_the_published_dimensions() {
        // AWS Elastic Load Balancing pricing: an LCU is 25 new connections/s, 3,000 active
        // connections or 1 GB/h; an NLCU (TCP) 800 new flows/s, 100,000 active or 1 GB/h.
        let table = PriceTable::aws_us_east_1();
        for (key, new_per_s, active, gb_per_hour) in [
            ("alb.lcu", 25.0, 3_000.0, 1.0),
            ("nlb.lcu", 800.0, 100_000.0, 1.0),
        ] {
            let lcu = table.get(key).unwrap().capacity_unit.as_ref().unwrap();
            assert_eq!(
                (
                    lcu.new_connections_per_s,
                    lcu.active_connections,
                    lcu.gb_per_hour
                ),
                (new_per_s, active, gb_per_hour),
                "{key}"
            );
        }
        let misplaced = AWS_US_EAST_1_RON.replacen(
            "tiers: [(from: 0, usd: 0.0225)],",
            "tiers: [(from: 0, usd: 0.0225)], capacity_unit: (new_connections_per_s: 25, \
             active_connections: 3000, gb_per_hour: 1, source_url: \"https://aws.amazon.com/\"),",
            1,
        );
        let err = PriceTable::parse(&misplaced).expect_err("an LCU on an hourly price");
        assert!(
            err.contains("alb.hours") && err.contains("LcuHour"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_entry_is_rejected_with_its_key() {
        let bad = AWS_US_EAST_1_RON.replacen("as_of: \"2024-07-01\"", "as_of: \"last year\"", 1);
        let err = PriceTable::parse(&bad).expect_err("a bad date is an error");
        assert!(
            err.contains("ec2.t3.medium") && err.contains("as_of"),
            "{err}"
        );
        let missing = PriceTable::aws_us_east_1().get("ec2.m5.larg").unwrap_err();
        assert!(missing.contains("ec2.m5.large"), "{missing}");
    }
}
