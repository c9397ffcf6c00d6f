//! Compute services: EC2 instances, Fargate tasks, Lambda functions; and the rate at which
//! Lambda costs what an instance does.

use crate::blueprint::NodeSpec;
use crate::cost::report::LineItem::{Compute, Requests};
use crate::cost::usage::{Context, Priced, simulated_duration_ms, usage};
use crate::pricing::PriceTable;
use crate::pricing::spec::{Ec2Spec, FargateSpec, LambdaSpec};

/// EC2: `units` instances, billed by the hour.
pub(in crate::cost) fn ec2(cx: &Context, node: &NodeSpec, s: &Ec2Spec, units: u32) -> Priced {
    let n = f64::from(units);
    let usages = vec![usage(
        node,
        Compute,
        format!("ec2.{}", s.instance),
        format!("{units} x {}", s.instance),
        n * cx.hours,
    )];
    Priced::new(
        format!("EC2 {}", s.instance),
        format!("{units} x {}", s.instance),
        usages,
    )
}

/// Fargate: `units` tasks, billed per vCPU-hour and per GB-hour.
pub(in crate::cost) fn fargate(
    cx: &Context,
    node: &NodeSpec,
    s: &FargateSpec,
    units: u32,
) -> Priced {
    let arch = if s.arm { "arm" } else { "x86" };
    let n = f64::from(units);
    let usages = vec![
        usage(
            node,
            Compute,
            format!("fargate.{arch}.vcpu"),
            format!("{units} tasks x {} vCPU", s.vcpu),
            n * s.vcpu * cx.hours,
        ),
        usage(
            node,
            Compute,
            format!("fargate.{arch}.memory"),
            format!("{units} tasks x {} GB", s.memory_gb),
            n * s.memory_gb * cx.hours,
        ),
    ];
    Priced::new(
        format!("Fargate {} vCPU / {} GB", s.vcpu, s.memory_gb),
        format!("{units} tasks"),
        usages,
    )
}

/// Lambda: invocations, and GB-seconds at the spec's duration or the simulated one.
pub(in crate::cost) fn lambda(cx: &Context, node: &NodeSpec, s: &LambdaSpec) -> Priced {
    let id = node.id.as_str();
    let arrivals_per_month = cx.arrivals_per_month(id);
    let duration_ms = s
        .duration_ms
        .unwrap_or_else(|| simulated_duration_ms(cx, id));
    let usages = vec![
        usage(
            node,
            Requests,
            "lambda.requests",
            "invocations".into(),
            arrivals_per_month,
        ),
        usage(
            node,
            Compute,
            lambda_duration_key(s),
            format!("{duration_ms:.1} ms x {} MB per invocation", s.memory_mb),
            arrivals_per_month * duration_ms / 1_000.0 * s.memory_mb / 1_024.0,
        ),
    ];
    Priced::new(
        format!("Lambda {} MB", s.memory_mb),
        format!("{duration_ms:.1} ms a call"),
        usages,
    )
}

/// The rate at which Lambda (`spec`'s memory and architecture, `duration_ms` per call) costs
/// `usd_per_month`, free tier included; `None` if it never does below 10^9 RPS.
pub fn lambda_break_even_rps(
    table: &PriceTable,
    spec: &LambdaSpec,
    duration_ms: f64,
    usd_per_month: f64,
) -> Result<Option<f64>, String> {
    let requests = table.get("lambda.requests")?;
    let duration = table.get(lambda_duration_key(spec))?;
    let secs = table.seconds_per_month();
    let cost = |rps: f64| {
        let calls = rps * secs;
        requests.usd_for(calls)
            + duration.usd_for(calls * duration_ms / 1_000.0 * spec.memory_mb / 1_024.0)
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    while cost(hi) < usd_per_month {
        hi *= 2.0;
        if hi > 1e9 {
            return Ok(None);
        }
    }
    // The cost rises with the rate, so bisection finds the crossing.
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cost(mid) < usd_per_month {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(Some(0.5 * (lo + hi)))
}

fn lambda_duration_key(spec: &LambdaSpec) -> &'static str {
    if spec.arm {
        "lambda.arm.duration"
    } else {
        "lambda.x86.duration"
    }
}
