//! # supportdesk-bench
//!
//! The load generator and scenario runner behind `make bench`. It starts the release
//! server on a fresh SQLite file (and on a fresh PostgreSQL database when
//! `BENCH_POSTGRES_URL` is set), seeds it through a bulk path that writes the tables
//! directly, drives each scenario over loopback with its own HTTP/1.1 driver, measures the
//! floors the hardware allows (an actix-web handler returning the same bytes; the same rows
//! through Diesel with no HTTP), and reports the service as a fraction of each:
//! `target/bench/report.json` and a section of `docs/benchmarks.md`.
//!
//! ```text
//! supportdesk-bench [run]                        the whole bench (settings from the environment)
//! supportdesk-bench floor-server --body NAME=PATH ...   the HTTP floor server (started by `run`)
//! ```
//!
//! See `docs/benchmarks.md` for what each scenario does and how to read the numbers.

#![expect(clippy::print_stdout, reason = "a command-line tool that reports on standard output")]

mod db;
mod driver;
mod floor_db;
mod floor_http;
mod floor_raw;
mod outbox;
mod process;
mod report;
mod rng;
mod runner;
mod scenarios;
mod schema;
mod seed;
mod tokens;

use std::process::ExitCode;

/// The error type of the binary: anything, with a message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: supportdesk-bench [run | floor-server --body NAME=PATH ...]

  run            seed, start the server, drive every scenario, measure the floors, write
                 target/bench/report.json and docs/benchmarks.md (the default)
  floor-server   the HTTP floor: serve canned bodies on 127.0.0.1:0 (started by `run`)

environment (run):
  BENCH_QUICK=1           10,000 tickets only, ~2 s per run
  BENCH_POSTGRES_URL=...  also measure PostgreSQL (a scratch database is created and dropped)
  BENCH_SECONDS=N         measured seconds per run
  BENCH_SCALE=a,b,c       dataset sizes of the scale runs (default 10000,100000,1000000)
  BENCH_SQLITE=0          skip SQLite
  BENCH_ONLY=a,b          only the scenarios named (e.g. create,get,queue); the markdown
                          then goes to the `partial` section, not the full or quick run's
  BENCH_KEEP=1            keep the databases afterwards (to study query plans)
  BENCH_SERVER=PATH       the supportdesk binary (default: next to this one)
  BENCH_OUT, BENCH_DOCS   where the JSON report and the markdown go
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("run") => runner::Settings::from_env().and_then(runner::run),
        Some("floor-server") => floor_http::serve(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("supportdesk-bench: {error}");
            ExitCode::FAILURE
        }
    }
}
