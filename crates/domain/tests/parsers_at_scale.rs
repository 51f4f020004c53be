//! The parsers' properties (`parsers/mod.rs`) at scale, for a time budget: `make
//! fuzz-parsers`, or `PARSERS_FUZZ_SECS=300 cargo test -p supportdesk-domain --test
//! parsers_at_scale -- --nocapture`. Without `PARSERS_FUZZ_SECS` the test returns at once
//! (`make test` runs the same properties at 256 cases in `properties.rs`).
//!
//! Every available core runs the properties in turn, each round a fresh proptest runner with
//! its own seed and `PROPTEST_CASES` cases (default 10,000), until the budget is spent. A
//! panic or a broken property stops the run and reports its shrunk input. (`cargo fuzz`
//! needs a nightly compiler; this is the stable-toolchain alternative.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod parsers;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// One property: runs a round on the runner, `Err` with the report when it fails.
type Property = fn(&mut TestRunner) -> Result<(), String>;

fn properties() -> Vec<(&'static str, Property)> {
    vec![
        ("TicketNumber/TicketRef::parse on any text", |r| {
            r.run(&parsers::any_text(), |raw| parsers::ticket_number(&raw)).map_err(|e| e.to_string())
        }),
        ("TicketNumber/TicketRef::parse on number-like text", |r| {
            r.run(&parsers::number_text(), |raw| parsers::ticket_number(&raw)).map_err(|e| e.to_string())
        }),
        ("TicketNumber round trips", |r| r.run(&(1..=i64::MAX), parsers::number_round_trip).map_err(|e| e.to_string())),
        ("Subject/Tag/Email and the other text parsers", |r| {
            r.run(&parsers::any_text(), |raw| parsers::text(&raw)).map_err(|e| e.to_string())
        }),
        ("Tags::parse", |r| r.run(&parsers::tag_list(), |raw| parsers::tags(&raw)).map_err(|e| e.to_string())),
        ("Subject::from_description", |r| {
            r.run(&parsers::description(), |d| parsers::subject_from(&d)).map_err(|e| e.to_string())
        }),
    ]
}

#[test]
fn parsers_hold_at_scale() {
    let Some(budget) = std::env::var("PARSERS_FUZZ_SECS").ok().and_then(|s| s.parse::<u64>().ok()) else {
        println!("parsers at scale: PARSERS_FUZZ_SECS is not set, nothing to do (make fuzz-parsers sets it)");
        return;
    };
    let cases: u32 = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let seed: u64 = std::env::var("PARSERS_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let deadline = Instant::now() + Duration::from_secs(budget);
    let properties = properties();
    let counts: Vec<AtomicU64> = properties.iter().map(|_| AtomicU64::new(0)).collect();
    let failed = AtomicBool::new(false);
    let failures = Mutex::new(Vec::new());
    println!("parsers at scale: {budget} s on {threads} threads, rounds of {cases} cases, PARSERS_FUZZ_SEED={seed}");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let (properties, counts, failed, failures) = (&properties, &counts, &failed, &failures);
            scope.spawn(move || {
                let mut round = 0u64;
                while Instant::now() < deadline && !failed.load(Ordering::Relaxed) {
                    let index = (thread + round as usize) % properties.len();
                    let (name, property) = properties[index];
                    let mut bytes = [0u8; 32];
                    bytes[..8].copy_from_slice(&seed.to_le_bytes());
                    bytes[8..16].copy_from_slice(&(thread as u64).to_le_bytes());
                    bytes[16..24].copy_from_slice(&round.to_le_bytes());
                    let config = Config { cases, failure_persistence: None, ..Config::default() };
                    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
                    match property(&mut runner) {
                        Ok(()) => {
                            counts[index].fetch_add(u64::from(cases), Ordering::Relaxed);
                        }
                        Err(report) => {
                            failed.store(true, Ordering::Relaxed);
                            failures.lock().unwrap().push(format!(
                                "{name} (thread {thread}, round {round}, PARSERS_FUZZ_SEED={seed}):\n{report}"
                            ));
                        }
                    }
                    round += 1;
                }
            });
        }
    });
    let total: u64 = counts.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    for ((name, _), count) in properties.iter().zip(&counts) {
        println!("parsers at scale: {:>12} cases  {name}", count.load(Ordering::Relaxed));
    }
    let failures = failures.into_inner().unwrap();
    println!("parsers at scale: {total} cases in {:.0} s, {} failed", started.elapsed().as_secs_f64(), failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
