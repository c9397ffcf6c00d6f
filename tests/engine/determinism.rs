//! Same blueprint + seed gives the same numbers, bit for bit; another seed differs.

use crate::support::{blueprint, run};

fn windows_json(seed: u64) -> String {
    let bp = blueprint(blastradius::blueprint::builtin("three-tier").expect("built in"));
    let mut bp = bp;
    bp.set_total_rps(3000.0);
    let sim = run(&bp, seed, 8.0);
    serde_json::to_string(&sim.history().windows).expect("serializes")
}

use blastradius::run::{digest, scenario_digest};

#[test]
fn same_seed_same_output_other_seed_differs() {
    let a = windows_json(42);
    let b = windows_json(42);
    let c = windows_json(43);
    assert_eq!(a, b, "two runs with seed 42 differ");
    assert_ne!(a, c, "seeds 42 and 43 gave identical output");
}

#[test]
fn golden_digest_of_a_short_run() {
    // The same digest must come out on every platform (native and wasm32). When a change to
    // the model is intended, run this test, read the new digest from the failure message and
    // put it here, saying in the commit why the numbers moved.
    let got = digest(&windows_json(7));
    assert_eq!(got, GOLDEN, "digest changed: got {got:#018x}");
}

const GOLDEN: u64 = 0xf7a2_76d8_2adc_6474;

#[test]
fn the_exported_scenario_digest_is_repeatable_and_follows_the_seed() {
    // The browser build exports this function; its end-to-end test (web/test.sh) compares it
    // with what `blastradius run ... --scenario cache-stampede --seed 7` prints.
    let a = scenario_digest("three-tier", "cache-stampede", 7, Some(12.0)).unwrap();
    let b = scenario_digest("three-tier", "cache-stampede", 7, Some(12.0)).unwrap();
    assert_eq!(a, b);
    assert_ne!(
        a,
        scenario_digest("three-tier", "cache-stampede", 8, Some(12.0)).unwrap()
    );
    let err = scenario_digest("three-tier", "no-such-scenario", 7, None).unwrap_err();
    assert!(err.contains("no-such-scenario"), "{err}");
}
