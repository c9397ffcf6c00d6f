//! The serverless, AI and agent kinds against hand calculations: a serverless function's
//! cold starts and throttling, an LLM endpoint's latency, token limits and batch throughput,
//! an embedding service's batching window, and an MCP tool server's tools.

use blastradius::run::HeadlessRun;

use crate::support::{assert_close, blueprint, run};

/// Sums the kind's own count `name` at node `id` over every window of the run.
fn count(sim: &HeadlessRun, id: &str, name: &str) -> u64 {
    sim.history()
        .windows
        .iter()
        .filter_map(|w| w.nodes.get(id))
        .filter_map(|n| n.counts.get(name))
        .sum()
}

/// Calls that arrived at node `id` over the run.
fn arrivals(sim: &HeadlessRun, id: &str) -> u64 {
    sim.history()
        .windows
        .iter()
        .filter_map(|w| w.nodes.get(id))
        .map(|n| n.arrivals)
        .sum()
}

/// Errors node `id` answered with `cause` over the run.
fn errors(sim: &HeadlessRun, id: &str, cause: &str) -> u64 {
    sim.history()
        .windows
        .iter()
        .filter_map(|w| w.nodes.get(id))
        .filter_map(|n| n.errors.get(cause))
        .sum()
}

/// A Poisson source at `rps` calling a serverless function with parameters `function`.
fn to_function(rps: f64, function: &str) -> String {
    format!(
        r#"Blueprint(
            name: "function",
            nodes: [
                (id: "src", kind: Client(rps: {rps}, arrival: Poisson, read_ratio: 1.0)),
                (id: "fn", kind: ServerlessFunction({function})),
            ],
            edges: [(from: "src", to: "fn", latency: Constant(0.0))],
        )"#
    )
}

/// Erlang's loss formula B(c, a): the share of arrivals that find all `c` servers busy at
/// offered load `a` (M/G/c/c, whatever the service time's distribution).
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

#[test]
fn a_serverless_function_starts_cold_after_an_idle_gap_longer_than_its_keep_warm() {
    // One environment is enough at 1 RPS with 1 ms of work (and a 1 ms cold start, so that
    // an arrival during a cold start, which would need a second environment, is rare). An
    // invocation starts cold when the gap since the previous one ended exceeds the
    // keep-warm time T: for Poisson arrivals, P(gap > T) = e^(-lambda T) (the 1-2 ms the
    // previous invocation ran are negligible).
    for (keep_warm_s, expected) in [(1.0, (-1.0f64).exp()), (3.0, (-3.0f64).exp())] {
        let function =
            format!("keep_warm_s: {keep_warm_s}, work: Constant(1.0), cold_start: Constant(1.0)");
        let sim = run(&blueprint(&to_function(1.0, &function)), 11, 20_000.0);
        let share = count(&sim, "fn", "cold_starts") as f64 / arrivals(&sim, "fn") as f64;
        assert_close(
            &format!("cold-start share at 1 RPS, keep warm {keep_warm_s} s"),
            share,
            expected,
            0.06,
        );
    }
    // At 200 RPS with 50 ms of work about 10 environments are busy; the few needed for the
    // peaks start cold once and then stay warm (25 min): after the warm-up, no more cold
    // starts. The share over 60 s is the peak concurrency over 12,000 invocations.
    let function = "work: Constant(50.0), cold_start: Constant(200.0)";
    let sim = run(&blueprint(&to_function(200.0, function)), 11, 60.0);
    let cold = count(&sim, "fn", "cold_starts");
    let calls = arrivals(&sim, "fn");
    let late: u64 = sim
        .history()
        .windows
        .iter()
        .filter(|w| w.t_s > 20.0)
        .filter_map(|w| w.nodes.get("fn"))
        .filter_map(|n| n.counts.get("cold_starts"))
        .sum();
    eprintln!(
        "steady 200 RPS: {cold} cold starts in {calls} invocations ({:.3}%), {late} after 20 s",
        cold as f64 / calls as f64 * 100.0
    );
    // While the first environments start, each invocation holds one 250 ms: about
    // 200 x 0.25 = 50 start cold, plus the peaks; then none.
    assert!(
        (30..=120).contains(&cold),
        "the environments for the warm-up's peak start cold once: {cold}"
    );
    assert!(late <= 3, "cold starts after the warm-up: {late}");
}

#[test]
fn a_serverless_function_throttles_past_its_concurrency_limit_as_erlang_b_says() {
    // Limit 10, 100 ms of work, 100 RPS: offered concurrency a = 100 x 0.1 = 10. An
    // invocation that finds all 10 busy is throttled, not queued: an M/G/c/c loss system,
    // so the throttled share is Erlang B(10, 10) = 0.2146.
    let function = "concurrency_limit: 10, work: Constant(100.0), cold_start: Constant(0.0)";
    let sim = run(&blueprint(&to_function(100.0, function)), 5, 400.0);
    let throttled = errors(&sim, "fn", "throttled") as f64;
    let share = throttled / arrivals(&sim, "fn") as f64;
    assert_close(
        "throttled share, limit 10 at a = 10",
        share,
        erlang_b(10, 10.0),
        0.04,
    );
    // Twice the limit: B(20, 10) = 0.0019 (a rare event: a longer run).
    let function = "concurrency_limit: 20, work: Constant(100.0), cold_start: Constant(0.0)";
    let sim = run(&blueprint(&to_function(100.0, function)), 5, 3000.0);
    let share = errors(&sim, "fn", "throttled") as f64 / arrivals(&sim, "fn") as f64;
    eprintln!(
        "throttled share, limit 20 at a = 10: simulated {share:.5}, Erlang B {:.5}",
        erlang_b(20, 10.0)
    );
    assert!(
        (share - erlang_b(20, 10.0)).abs() < 0.0004,
        "limit 20: {share} vs {}",
        erlang_b(20, 10.0)
    );
}

#[test]
fn a_serverless_function_is_killed_at_its_timeout_and_bursts_are_capped() {
    // 5 s of work with a 3 s timeout: every invocation is killed at 3 s and answers timeout.
    let function = "work: Constant(5000.0), cold_start: Constant(0.0), timeout_ms: 3000";
    let s = run(&blueprint(&to_function(5.0, function)), 3, 30.0).summary();
    assert_eq!(s.error_rate, 1.0, "{:?}", s.errors);
    assert!(s.errors.contains_key("timeout"), "{:?}", s.errors);
    assert!(
        (s.latency.p50_ms - 3000.0).abs() < 1.0 && (s.latency.p99_ms - 3000.0).abs() < 1.0,
        "killed at 3 s: p50 {} p99 {}",
        s.latency.p50_ms,
        s.latency.p99_ms
    );
    // Scale-out of 10 environments per 10 s (1 a second) with each invocation holding its
    // environment 1 s at 50 RPS: concurrency would need about 50, but only 10 start at once
    // and 1 more each second after, so in the first 20 s at most 10 + 20 = 30 exist.
    let function = "scale_out_per_10s: 10, work: Constant(1000.0), cold_start: Constant(0.0)";
    let sim = run(&blueprint(&to_function(50.0, function)), 3, 20.0);
    let cold = count(&sim, "fn", "cold_starts");
    eprintln!("burst-limited: {cold} cold starts in 20 s (bucket of 10, 1 a second)");
    assert!((25..=30).contains(&cold), "cold starts {cold}");
    assert!(errors(&sim, "fn", "throttled") > 300);
}

/// A Poisson source at `rps` calling an LLM endpoint with parameters `llm`.
fn to_llm(rps: f64, llm: &str) -> String {
    format!(
        r#"Blueprint(
            name: "llm",
            nodes: [
                (id: "src", kind: Client(rps: {rps}, arrival: Poisson, read_ratio: 1.0)),
                (id: "llm", kind: LlmEndpoint({llm})),
            ],
            edges: [(from: "src", to: "llm", latency: Constant(0.0))],
        )"#
    )
}

#[test]
fn an_llm_answer_takes_ttft_plus_its_tokens_over_the_decode_speed() {
    // TTFT = 300 ms + 1,000 prompt tokens at 10,000 tokens/s = 400 ms; then 500 tokens at
    // 50 tokens/s = 10 s, or 50 tokens = 1 s. With 50 instances for ~5 requests in flight,
    // each decodes alone (batch 1): every answer takes exactly 10.4 s, or 1.4 s.
    for (output, expected_ms) in [(500.0, 10_400.0), (50.0, 1_400.0)] {
        let llm = format!(
            "instances: 50, ttft: Constant(300.0), prefill_tokens_per_s: 10000, \
             input_tokens: Constant(1000.0), output_tokens: Constant({output}), \
             tokens_per_s: 50, batch_slowdown: 0.1, error_rate: 0.0"
        );
        let s = run(&blueprint(&to_llm(0.5, &llm)), 3, 300.0).summary();
        assert_eq!(s.error_rate, 0.0, "{:?}", s.errors);
        assert_close(
            &format!("p50 of a {output}-token answer, ms"),
            s.latency.p50_ms,
            expected_ms,
            0.005,
        );
        assert_close(
            &format!("p99 of a {output}-token answer, ms"),
            s.latency.p99_ms,
            expected_ms,
            0.005,
        );
    }
}

#[test]
fn an_llm_instance_decodes_more_tokens_a_second_in_a_bigger_batch_by_the_formula() {
    // One instance kept full (10 requests a second offered, far above what it finishes;
    // the rest wait or are turned away), answers of 100 tokens, 50 tokens/s alone,
    // batch_slowdown 0.1: it makes b x 50 / (1 + 0.1 (b - 1)) tokens a second,
    // 50 at b = 1, 153.8 at b = 4, 320 at b = 16.
    for b in [1u32, 4, 16] {
        let llm = format!(
            "instances: 1, max_batch: {b}, queue_capacity: 20, ttft: Constant(0.0), \
             input_tokens: Constant(1.0), output_tokens: Constant(100.0), \
             tokens_per_s: 50, batch_slowdown: 0.1, error_rate: 0.0"
        );
        let sim = run(&blueprint(&to_llm(10.0, &llm)), 3, 200.0);
        let tokens: u64 = sim
            .history()
            .windows
            .iter()
            .filter(|w| w.t_s > 20.0 && w.t_s <= 200.0)
            .filter_map(|w| w.nodes.get("llm"))
            .filter_map(|n| n.counts.get("output_tokens"))
            .sum();
        let per_s = tokens as f64 / 180.0;
        let bf = f64::from(b);
        assert_close(
            &format!("tokens/s of one instance at batch {b}"),
            per_s,
            bf * 50.0 / (1.0 + 0.1 * (bf - 1.0)),
            0.02,
        );
    }
}

#[test]
fn an_llm_endpoint_admits_its_tokens_per_minute_and_refuses_what_exceeds_its_context() {
    // 60,000 tokens a minute, requests of 500 + 500 tokens offered at 5 a second (300,000
    // tokens a minute): after the first minute's full bucket is spent, it admits 60,000 a
    // minute (one request a second) and throttles the other 80%.
    let llm = "ttft: Constant(100.0), input_tokens: Constant(500.0), \
               output_tokens: Constant(500.0), tokens_per_s: 100, tokens_per_minute: 60000, \
               error_rate: 0.0";
    let sim = run(&blueprint(&to_llm(5.0, llm)), 9, 600.0);
    let steady: Vec<_> = sim
        .history()
        .windows
        .iter()
        .filter(|w| w.t_s > 120.0 && w.t_s <= 600.0)
        .filter_map(|w| w.nodes.get("llm"))
        .collect();
    let minutes = steady.len() as f64 / 60.0;
    let admitted: u64 = steady.iter().filter_map(|n| n.counts.get("tokens")).sum();
    assert_close(
        "admitted tokens a minute at a 60,000 TPM limit",
        admitted as f64 / minutes,
        60_000.0,
        0.02,
    );
    let throttled: u64 = steady
        .iter()
        .filter_map(|n| n.errors.get("throttled"))
        .sum();
    let arrived: u64 = steady.iter().map(|n| n.arrivals).sum();
    assert_close(
        "throttled share at 5x the limit",
        throttled as f64 / arrived as f64,
        0.8,
        0.03,
    );
    // With half of each prompt read from the prompt cache, a request counts 250 + 500
    // tokens: 60,000 / 750 = 80 requests a minute get through instead of 60.
    let cached = format!("{llm}, cached_input_share: 0.5");
    let sim = run(&blueprint(&to_llm(5.0, &cached)), 9, 300.0);
    let ok_per_minute = sim
        .history()
        .windows
        .iter()
        .filter(|w| w.t_s > 120.0 && w.t_s <= 300.0)
        .filter_map(|w| w.nodes.get("llm"))
        .map(|n| n.arrivals - n.errors.values().sum::<u64>())
        .sum::<u64>() as f64
        / 3.0;
    assert_close(
        "requests a minute admitted with half the prompt cached",
        ok_per_minute,
        80.0,
        0.03,
    );
    // Prompts uniform on 0..200,000 tokens plus 1,000 out, in a 128,000-token context: those
    // over 127,000, (200,000 - 127,000) / 200,000 = 36.5%, are refused.
    let llm = "input_tokens: Uniform(min: 0.0, max: 200000.0), output_tokens: Constant(1000.0), \
               context_tokens: 128000, error_rate: 0.0";
    let sim = run(&blueprint(&to_llm(50.0, llm)), 9, 200.0);
    let rejected = errors(&sim, "llm", "rejected");
    assert_close(
        "share refused for the context window",
        rejected as f64 / arrivals(&sim, "llm") as f64,
        0.365,
        0.03,
    );
    let all: u64 = sim
        .history()
        .windows
        .iter()
        .filter_map(|w| w.nodes.get("llm"))
        .flat_map(|n| n.errors.values())
        .sum();
    assert_eq!(rejected, all, "every refusal is a rejection");
}

/// A Poisson source at `rps` calling an embedding service with parameters `embed`.
fn to_embedder(rps: f64, embed: &str) -> String {
    format!(
        r#"Blueprint(
            name: "embed",
            nodes: [
                (id: "src", kind: Client(rps: {rps}, arrival: Poisson, read_ratio: 1.0)),
                (id: "embed", kind: EmbeddingService({embed})),
            ],
            edges: [(from: "src", to: "embed", latency: Constant(0.0))],
        )"#
    )
}

/// Mean latency at node `id` over the run, ms, and its mean batch size.
fn batching(sim: &HeadlessRun, id: &str) -> (f64, f64) {
    let windows: Vec<_> = sim
        .history()
        .windows
        .iter()
        .filter_map(|w| w.nodes.get(id))
        .collect();
    let answered: u64 = windows.iter().map(|n| n.arrivals).sum();
    let batches: u64 = windows.iter().filter_map(|n| n.counts.get("batches")).sum();
    let items: u64 = windows
        .iter()
        .filter_map(|n| n.counts.get("batched_requests"))
        .sum();
    assert_eq!(items, answered, "every request ran in a batch");
    let mean_ms = windows
        .iter()
        .map(|n| n.latency.mean_ms * n.arrivals as f64)
        .sum::<f64>()
        / answered as f64;
    (mean_ms, items as f64 / batches as f64)
}

#[test]
fn an_embedding_request_waits_about_the_window_at_a_low_rate() {
    // 20 requests a second, a 10 ms window, batches of up to 32 that take 5 ms + 1 ms per
    // request on one of 4 workers (never all busy). A batch is its first request plus the
    // Poisson(m = 20 x 0.01 = 0.2) that come within the window: E[b] = 1 + m = 1.2. The
    // first waits the whole window, the others half of it on average, so a request waits
    // w (1 + m/2) / (1 + m) = 9.167 ms; the batch it is in holds (m + (1 + m)^2) / (1 + m)
    // = 1.367 requests on average (a request is more likely in a bigger batch), so it runs
    // 5 + 1.367 = 6.367 ms: 15.53 ms in all.
    let embed = "instances: 4, max_batch: 32, window_ms: 10, batch_fixed_ms: 5, per_item_ms: 1";
    let sim = run(&blueprint(&to_embedder(20.0, embed)), 4, 2_000.0);
    let (mean_ms, batch) = batching(&sim, "embed");
    assert_close("mean batch at 20/s, 10 ms window", batch, 1.2, 0.02);
    let m: f64 = 0.2;
    let expected = 10.0 * (1.0 + m / 2.0) / (1.0 + m) + 5.0 + (m + (1.0 + m).powi(2)) / (1.0 + m);
    assert_close(
        "mean latency at 20/s, 10 ms window, ms",
        mean_ms,
        expected,
        0.02,
    );
}

#[test]
fn an_embedding_batch_fills_before_its_window_at_a_high_rate() {
    // 2,000 requests a second into batches of 16 with a 50 ms window: 16 arrive in about
    // 8 ms, so every batch fills and closes at once. The k-th request of a batch waits for
    // the 16 - k after it: (16 - 1) / (2 x 2,000) s = 3.75 ms on average. The batch then
    // runs 2 + 0.5 x 16 = 10 ms (4 workers, 125 batches a second need 1.25): 13.75 ms.
    let embed = "instances: 4, max_batch: 16, window_ms: 50, batch_fixed_ms: 2, per_item_ms: 0.5";
    let sim = run(&blueprint(&to_embedder(2_000.0, embed)), 4, 60.0);
    let (mean_ms, batch) = batching(&sim, "embed");
    eprintln!("mean batch at 2,000/s: {batch:.3}");
    assert!(batch > 15.9, "batches fill: {batch}");
    assert_close(
        "mean latency at 2,000/s, batches of 16, ms",
        mean_ms,
        3.75 + 10.0,
        0.02,
    );
}

/// A Poisson source at `rps` calling an MCP tool server with parameters `server`.
fn to_tools(rps: f64, server: &str) -> String {
    format!(
        r#"Blueprint(
            name: "tools",
            nodes: [
                (id: "src", kind: Client(rps: {rps}, arrival: Poisson, read_ratio: 1.0)),
                (id: "tools", kind: McpToolServer({server})),
            ],
            edges: [(from: "src", to: "tools", latency: Constant(0.0))],
        )"#
    )
}

#[test]
fn an_mcp_server_mixes_its_tools_by_share_and_counts_poisoned_results_apart() {
    // Three tools: 50% take 100 ms and fail 2%, 30% take 400 ms and fail 10%, 20% take
    // 1,000 ms and fail 0%; 5% of the third's answers are poisoned. Errors are
    // 0.5 x 0.02 + 0.3 x 0.10 = 4.0% of calls; the mean time is 0.5 x 100 + 0.3 x 400 +
    // 0.2 x 1,000 = 370 ms; poisoned answers are 0.2 x 0.05 = 1% of calls, all successes.
    let server = r#"concurrency: 1000, tools: [
            (name: "quick", share: 0.5, latency: Constant(100.0), failure_rate: 0.02, poisoned_rate: 0.0),
            (name: "medium", share: 0.3, latency: Constant(400.0), failure_rate: 0.10, poisoned_rate: 0.0),
            (name: "slow", share: 0.2, latency: Constant(1000.0), failure_rate: 0.0, poisoned_rate: 0.05),
        ]"#;
    let sim = run(&blueprint(&to_tools(200.0, server)), 8, 300.0);
    let calls = arrivals(&sim, "tools") as f64;
    let failed = errors(&sim, "tools", "upstream_error") as f64;
    let all_errors: u64 = sim
        .history()
        .windows
        .iter()
        .filter_map(|w| w.nodes.get("tools"))
        .flat_map(|n| n.errors.values())
        .sum();
    assert_eq!(all_errors as f64, failed, "poisoned answers are not errors");
    assert_close("tool error share", failed / calls, 0.04, 0.04);
    let poisoned = count(&sim, "tools", "poisoned") as f64;
    assert_close("poisoned share", poisoned / calls, 0.01, 0.06);
    let mean_ms = sim
        .history()
        .windows
        .iter()
        .filter_map(|w| w.nodes.get("tools"))
        .map(|n| n.latency.mean_ms * n.arrivals as f64)
        .sum::<f64>()
        / calls;
    assert_close("mean tool time, ms", mean_ms, 370.0, 0.01);
}

#[test]
fn an_mcp_tool_past_its_timeout_answers_timeout_at_the_timeout() {
    // One tool, uniform on 0..2,000 ms, with a 1,500 ms timeout: the quarter that would run
    // longer answer `timeout` at exactly 1,500 ms, so no call takes longer, and the mean is
    // 0.75 x 750 + 0.25 x 1,500 = 937.5 ms.
    let server = r#"concurrency: 1000, tools: [
            (name: "flaky", latency: Uniform(min: 0.0, max: 2000.0), failure_rate: 0.0, timeout_ms: 1500),
        ]"#;
    let mut sim = run(&blueprint(&to_tools(100.0, server)), 8, 300.0);
    let calls = arrivals(&sim, "tools") as f64;
    let timeouts = errors(&sim, "tools", "timeout") as f64;
    assert_close("timed-out share", timeouts / calls, 0.25, 0.03);
    assert_eq!(count(&sim, "tools", "tool_timeouts") as f64, timeouts);
    let s = sim.summary();
    eprintln!(
        "tool with a 1,500 ms timeout: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, mean {:.1} ms",
        s.latency.p50_ms, s.latency.p99_ms, s.latency.max_ms, s.latency.mean_ms
    );
    assert!(
        s.latency.max_ms <= 1_501.0,
        "clipped at the timeout: max {} ms",
        s.latency.max_ms
    );
    assert!(
        (s.latency.p99_ms - 1_500.0).abs() < 2.0,
        "p99 is the timeout: {}",
        s.latency.p99_ms
    );
    assert_close("mean with the timeout, ms", s.latency.mean_ms, 937.5, 0.01);
}

#[test]
fn the_rag_chatbot_is_healthy_at_its_nominal_rate() {
    // 50 questions a second: the LLM's 0.1% of errors are retried, answers take 4-5 s on
    // average and about 11 s at p99 (under the 15 s a chat answer may take), and about 10
    // million of the account's 20 million tokens a minute are used.
    let bp = blueprint(blastradius::blueprint::builtin("rag-chatbot").expect("built in"));
    assert_eq!(bp.total_rps(), 50.0);
    let mut sim = run(&bp, 1, 60.0);
    let s = sim.summary();
    eprintln!(
        "rag-chatbot at 50 RPS: errors {:.3}%, p50 {:.0} ms, p99 {:.0} ms, {:.1}/s",
        s.error_rate * 100.0,
        s.latency.p50_ms,
        s.latency.p99_ms,
        s.throughput
    );
    assert!(s.error_rate < 0.005, "errors {}", s.error_rate);
    assert!(s.latency.p99_ms < 15_000.0, "p99 {} ms", s.latency.p99_ms);
    assert!(
        (s.throughput - 50.0).abs() < 3.0,
        "throughput {}",
        s.throughput
    );
    let tokens = count(&sim, "llm", "tokens") as f64;
    eprintln!("rag-chatbot: {tokens:.0} LLM tokens a minute of 20,000,000");
    assert!(tokens < 15_000_000.0);
}
