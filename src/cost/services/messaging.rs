//! Messaging services: SQS, SNS, Kinesis Data Streams, MSK; and the EC2 instances a queue's
//! consumers run on.

use crate::blueprint::NodeSpec;
use crate::cost::report::LineItem::{Compute, Requests, Storage};
use crate::cost::usage::{Context, Priced, Usage, usage};
use crate::pricing::spec::{KinesisSpec, MskSpec, SnsSpec, SqsSpec};

/// What a message queue's consumers run on.
pub(in crate::cost) const CONSUMER_INSTANCE: &str = "m5.large";

/// vCPUs of one [`CONSUMER_INSTANCE`]: the consumers' cores (one each unless the queue's
/// `cores` says otherwise, as the simulation gives them) fill instances of this many.
pub(in crate::cost) const CONSUMER_INSTANCE_VCPUS: f64 = 2.0;

/// SQS requests per message: send, receive, delete.
const SQS_REQUESTS_PER_MESSAGE: f64 = 3.0;

/// SQS: three requests per message (per 64 KB), and the consumers.
pub(in crate::cost) fn sqs(cx: &Context, node: &NodeSpec, s: &SqsSpec, units: u32) -> Priced {
    let kind = if s.fifo { "fifo" } else { "standard" };
    let per_message = SQS_REQUESTS_PER_MESSAGE * (s.message_kb / 64.0).ceil();
    let usages = vec![
        usage(
            node,
            Requests,
            format!("sqs.{kind}.requests"),
            format!("{per_message} requests per message"),
            cx.arrivals_per_month(&node.id) * per_message,
        ),
        consumers(node, units, cx.hours),
    ];
    Priced::new(format!("SQS {kind}"), consumer_size(node, units), usages)
}

/// SNS: publishes, HTTP deliveries, and the consumers.
pub(in crate::cost) fn sns(cx: &Context, node: &NodeSpec, s: &SnsSpec, units: u32) -> Priced {
    let arrivals_per_month = cx.arrivals_per_month(&node.id);
    let usages = vec![
        usage(
            node,
            Requests,
            "sns.publishes",
            "publishes".into(),
            arrivals_per_month,
        ),
        usage(
            node,
            Requests,
            "sns.http_deliveries",
            format!("{} deliveries per message", s.deliveries_per_message),
            arrivals_per_month * s.deliveries_per_message,
        ),
        consumers(node, units, cx.hours),
    ];
    Priced::new("SNS", consumer_size(node, units), usages)
}

/// Kinesis Data Streams: shards for the record rate and bytes, PUT payload units, and the
/// consumers.
pub(in crate::cost) fn kinesis(
    cx: &Context,
    node: &NodeSpec,
    s: &KinesisSpec,
    units: u32,
) -> Priced {
    let rate = cx.arrival_rate(&node.id);
    let shards = (rate / 1_000.0)
        .max(rate * s.record_kb / 1_000.0)
        .ceil()
        .max(1.0);
    let usages = vec![
        usage(
            node,
            Compute,
            "kinesis.shard_hours",
            format!("{shards} shards"),
            shards * cx.hours,
        ),
        usage(
            node,
            Requests,
            "kinesis.put_units",
            "PUT payload units".into(),
            cx.arrivals_per_month(&node.id) * (s.record_kb / 25.0).ceil(),
        ),
        consumers(node, units, cx.hours),
    ];
    Priced::new("Kinesis", format!("{shards} shards"), usages)
}

/// MSK: brokers, storage, and the consumers.
pub(in crate::cost) fn msk(cx: &Context, node: &NodeSpec, s: &MskSpec, units: u32) -> Priced {
    let usages = vec![
        usage(
            node,
            Compute,
            format!("msk.{}", s.broker),
            format!("{} x {}", s.brokers, s.broker),
            f64::from(s.brokers) * cx.hours,
        ),
        usage(
            node,
            Storage,
            "msk.storage",
            format!("{} GB", s.storage_gb),
            s.storage_gb,
        ),
        consumers(node, units, cx.hours),
    ];
    Priced::new(
        format!("MSK {}", s.broker),
        format!("{} brokers", s.brokers),
        usages,
    )
}

/// A queue's consumers, on EC2.
fn consumers(node: &NodeSpec, units: u32, hours: f64) -> Usage {
    let instances = consumer_instances(node, units);
    usage(
        node,
        Compute,
        format!("ec2.{CONSUMER_INSTANCE}"),
        format!("consumers: {instances} x {CONSUMER_INSTANCE}"),
        instances * hours,
    )
}

/// How a queue node is sized in words: its consumers and the instances they run on.
fn consumer_size(node: &NodeSpec, units: u32) -> String {
    let instances = consumer_instances(node, units);
    format!("{units} consumers on {instances} x {CONSUMER_INSTANCE}")
}

/// Instances for `units` consumers: their cores (as the simulation gives them) over an
/// instance's vCPUs.
fn consumer_instances(node: &NodeSpec, units: u32) -> f64 {
    let cores = f64::from(units) * node.kind.cores_per_capacity_unit().unwrap_or(1.0);
    (cores / CONSUMER_INSTANCE_VCPUS).ceil().max(1.0)
}
