//! The report: every run's numbers, the ratios to the floors, the targets met or missed;
//! written as JSON (`target/bench/report.json`) and as a markdown section of
//! `docs/benchmarks.md`.
//!
//! The markdown goes between `<!-- bench:full:begin -->` and `<!-- bench:full:end -->`
//! (or the `quick` pair for `BENCH_QUICK=1`, the `partial` pair for a run limited by
//! `BENCH_ONLY`), so a run replaces its own section and leaves the hand-written analysis
//! and the other runs' figures alone.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::db::Backend;
use crate::driver::Outcome;
use crate::outbox::FanOut;
use crate::runner::CREATE_WITH_WEBHOOKS;
use crate::seed::SeedReport;
use crate::BoxError;

/// What was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    /// The service, over HTTP.
    Supportdesk,
    /// The actix-web handler returning the same bytes.
    HttpFloor,
    /// The same rows through Diesel, no HTTP.
    DbFloor,
    /// A ticket and a message a transaction in tables of their own (`floor_raw`).
    RawFloor,
    /// The database floor's statements prepared once, by pgbench (`floor_raw`).
    PreparedFloor,
}

impl Subject {
    /// Its name in tables.
    pub const fn name(self) -> &'static str {
        match self {
            Subject::Supportdesk => "supportdesk",
            Subject::HttpFloor => "HTTP floor",
            Subject::DbFloor => "DB floor",
            Subject::RawFloor => "raw floor",
            Subject::PreparedFloor => "prepared floor",
        }
    }
}

/// One run: a scenario at one concurrency for a fixed time.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Service or floor.
    pub subject: Subject,
    /// The database (none for the HTTP floor).
    pub backend: Option<Backend>,
    /// The scenario.
    pub scenario: String,
    /// Tickets present (seeded; the run may add some).
    pub tickets: u64,
    /// Concurrent clients.
    pub concurrency: usize,
    /// Measured seconds.
    pub seconds: f64,
    /// Requests completed.
    pub requests: u64,
    /// Requests that failed or were not 2xx.
    pub errors: u64,
    /// Requests per second.
    pub rps: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// 99.9th percentile, ms.
    pub p999_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
    /// Server CPU seconds (user + system) per 1,000 requests.
    pub cpu_s_per_1k: Option<f64>,
    /// Server resident memory right after the run, MiB.
    pub rss_mib: Option<f64>,
    /// Server peak resident memory so far (VmHWM), MiB.
    pub peak_rss_mib: Option<f64>,
    /// A few failures, to explain errors.
    pub error_samples: Vec<String>,
}

impl Run {
    /// A run from the driver's outcome.
    pub fn new(
        subject: Subject,
        backend: Option<Backend>,
        scenario: &str,
        tickets: u64,
        concurrency: usize,
        outcome: &Outcome,
    ) -> Self {
        let ms = |q: f64| outcome.histogram.value_at_quantile(q) as f64 / 1_000.0;
        Self {
            subject,
            backend,
            scenario: scenario.to_owned(),
            tickets,
            concurrency,
            seconds: outcome.elapsed.as_secs_f64(),
            requests: outcome.ok + outcome.errors,
            errors: outcome.errors,
            rps: outcome.rate(),
            p50_ms: ms(0.5),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: outcome.histogram.max() as f64 / 1_000.0,
            cpu_s_per_1k: None,
            rss_mib: None,
            peak_rss_mib: None,
            error_samples: outcome.samples.clone(),
        }
    }

    /// A line for the console.
    pub fn line(&self) -> String {
        let backend = self.backend.map_or("-", Backend::as_str);
        let cpu = self.cpu_s_per_1k.map_or_else(String::new, |c| format!("  cpu {c:.3} s/1k"));
        format!(
            "{:<11} {:<8} {:<24} {:>9} c={:<3} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  p99.9 {:>7.2} ms  errors {}{cpu}",
            self.subject.name(),
            backend,
            self.scenario,
            self.tickets,
            self.concurrency,
            self.rps,
            self.p50_ms,
            self.p99_ms,
            self.p999_ms,
            self.errors
        )
    }
}

/// The memory of one server process.
#[derive(Debug, Clone, Serialize)]
pub struct ServerMemory {
    /// Which server: `supportdesk (sqlite, writes)`, `HTTP floor` ...
    pub server: String,
    /// The database, if any.
    pub backend: Option<Backend>,
    /// Resident after start, before load, MiB.
    pub idle_rss_mib: f64,
    /// Peak resident (VmHWM) when it stopped, MiB.
    pub peak_rss_mib: f64,
}

/// One seeding step.
#[derive(Debug, Clone, Serialize)]
pub struct Seeding {
    /// The database.
    pub backend: Backend,
    /// Which database of the run (`reads`, `writes`).
    pub database: String,
    /// Tickets present after the step.
    pub tickets_after: u64,
    /// What was written.
    pub written: SeedReport,
}

/// The search index's size at one size of the dataset (issue 14).
#[derive(Debug, Clone, Serialize)]
pub struct SearchIndexSize {
    /// The database.
    pub backend: Backend,
    /// Tickets in the database.
    pub tickets: u64,
    /// Messages in the database.
    pub messages: u64,
    /// `ticket_search`, the folded text, MiB (on PostgreSQL with its `tsvector` column).
    pub text_mib: f64,
    /// The full-text index, MiB: FTS5's tables, or the GIN index.
    pub index_mib: f64,
    /// The message bodies as stored (`messages`), MiB, for scale.
    pub messages_mib: f64,
}

/// A service-to-floor ratio.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// The scenario.
    pub scenario: String,
    /// The database.
    pub backend: Backend,
    /// Tickets present.
    pub tickets: u64,
    /// Concurrency of both runs.
    pub concurrency: usize,
    /// The service's requests per second.
    pub service_rps: f64,
    /// Which floor.
    pub floor: Subject,
    /// The floor's operations per second.
    pub floor_rps: f64,
    /// service / floor.
    pub fraction: f64,
}

/// Whether a target was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Met.
    Met,
    /// Missed.
    Missed,
    /// Not measured in this run (quick run, no PostgreSQL ...).
    NotMeasured,
}

impl Verdict {
    /// For tables.
    pub const fn mark(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "**missed**",
            Verdict::NotMeasured => "not measured",
        }
    }
}

/// One target of issue #6.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What is held to the target.
    pub target: String,
    /// The goal, as written.
    pub goal: String,
    /// What was measured.
    pub measured: String,
    /// Met, missed, not measured.
    pub verdict: Verdict,
}

/// The machine.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs (`nproc`).
    pub cpus: usize,
    /// CPU model.
    pub cpu_model: String,
    /// Memory, GiB (`MemTotal`).
    pub memory_gib: f64,
    /// Kernel release.
    pub kernel: String,
    /// PostgreSQL server version, when measured.
    pub postgres: Option<String>,
}

impl Machine {
    /// Reads `/proc`.
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_kib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|k| k.parse::<f64>().ok())
            .unwrap_or(0.0);
        Self {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
            memory_gib: mem_kib / 1024.0 / 1024.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
            postgres: None,
        }
    }
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// When it started (RFC 3339).
    pub started_at: String,
    /// The command that ran it.
    pub command: String,
    /// Whether it was `BENCH_QUICK`.
    pub quick: bool,
    /// Seconds measured per run (after warm-up).
    pub run_seconds: f64,
    /// The machine.
    pub machine: Machine,
    /// Wall time of the bench binary, seconds (the release build before it not included).
    pub wall_seconds: f64,
    /// Seeding steps.
    pub seeding: Vec<Seeding>,
    /// The search index's size after each seeding of the reads database.
    pub search_index: Vec<SearchIndexSize>,
    /// Every run.
    pub runs: Vec<Run>,
    /// Server memory.
    pub memory: Vec<ServerMemory>,
    /// Service-to-floor ratios.
    pub ratios: Vec<Ratio>,
    /// The webhook fan-out measurements, one per backend.
    pub fan_out: Vec<FanOut>,
    /// The targets.
    pub checks: Vec<Check>,
}

impl Report {
    /// The run of `subject`/`backend`/`scenario` at `concurrency` with `tickets`, if any.
    pub fn find(
        &self,
        subject: Subject,
        backend: Option<Backend>,
        scenario: &str,
        concurrency: usize,
        tickets: Option<u64>,
    ) -> Option<&Run> {
        self.runs.iter().find(|r| {
            r.subject == subject
                && r.backend == backend
                && r.scenario == scenario
                && r.concurrency == concurrency
                && tickets.is_none_or(|t| r.tickets == t)
        })
    }

    /// Fills `ratios` and `checks` from the runs.
    pub fn evaluate(&mut self, base: u64, largest: u64, backends: &[Backend]) {
        let mut ratios = Vec::new();
        let throughput = 32;
        for &backend in backends {
            for (scenario, floor, floor_backend, tickets) in [
                ("create", Subject::DbFloor, Some(backend), base),
                ("create", Subject::RawFloor, Some(backend), base),
                ("get", Subject::DbFloor, Some(backend), base),
                ("get", Subject::PreparedFloor, Some(backend), base),
                ("queue", Subject::PreparedFloor, Some(backend), base),
                ("get", Subject::HttpFloor, None, base),
                ("queue", Subject::DbFloor, Some(backend), base),
                ("queue", Subject::HttpFloor, None, base),
                ("get", Subject::DbFloor, Some(backend), largest),
                ("queue", Subject::DbFloor, Some(backend), largest),
                ("queue", Subject::HttpFloor, None, largest),
            ] {
                if tickets == largest
                    && largest == base
                    && ratios.iter().any(|r: &Ratio| {
                        r.scenario == scenario && r.backend == backend && r.floor == floor && r.tickets == tickets
                    })
                {
                    continue;
                }
                for concurrency in [1, throughput] {
                    let Some(service) =
                        self.find(Subject::Supportdesk, Some(backend), scenario, concurrency, Some(tickets))
                    else {
                        continue;
                    };
                    let floor_tickets = if floor == Subject::HttpFloor { None } else { Some(tickets) };
                    let Some(floor_run) = self.find(floor, floor_backend, scenario, concurrency, floor_tickets) else {
                        continue;
                    };
                    if floor_run.rps <= 0.0 {
                        continue;
                    }
                    ratios.push(Ratio {
                        scenario: scenario.to_owned(),
                        backend,
                        tickets,
                        concurrency,
                        service_rps: service.rps,
                        floor,
                        floor_rps: floor_run.rps,
                        fraction: service.rps / floor_run.rps,
                    });
                }
            }
        }
        self.ratios = ratios;
        self.checks = self.targets(base, largest, backends);
    }

    fn ratio(&self, scenario: &str, backend: Backend, floor: Subject, tickets: u64) -> Option<&Ratio> {
        self.ratios.iter().find(|r| {
            r.scenario == scenario
                && r.backend == backend
                && r.floor == floor
                && r.tickets == tickets
                && r.concurrency == 32
        })
    }

    fn ratio_check(
        &self,
        target: String,
        scenario: &str,
        backend: Backend,
        floor: Subject,
        tickets: u64,
        goal: f64,
    ) -> Check {
        let goal_text = format!(">= {:.0} % of the {} (c=32)", goal * 100.0, floor.name());
        match self.ratio(scenario, backend, floor, tickets) {
            Some(r) => Check {
                target,
                goal: goal_text,
                measured: format!("{:.1} % ({:.0} / {:.0} req/s)", r.fraction * 100.0, r.service_rps, r.floor_rps),
                verdict: if r.fraction >= goal { Verdict::Met } else { Verdict::Missed },
            },
            None => Check { target, goal: goal_text, measured: "-".to_owned(), verdict: Verdict::NotMeasured },
        }
    }

    fn targets(&self, base: u64, largest: u64, backends: &[Backend]) -> Vec<Check> {
        let mut checks = Vec::new();
        let all = [Backend::Sqlite, Backend::Postgres];
        for backend in all {
            let measured = backends.contains(&backend);
            let title = backend.title();
            let mut push = |check: Check| {
                checks.push(if measured {
                    check
                } else {
                    Check { measured: "-".into(), verdict: Verdict::NotMeasured, ..check }
                });
            };
            push(self.ratio_check(format!("create, {title}"), "create", backend, Subject::DbFloor, base, 0.5));
            // Issue 15: against floors that owe nothing to the service's design.
            push(self.ratio_check(format!("create, {title}"), "create", backend, Subject::RawFloor, base, 0.5));
            match backend {
                Backend::Sqlite => {
                    push(self.ratio_check(format!("get, {title}"), "get", backend, Subject::HttpFloor, base, 0.2));
                }
                Backend::Postgres => {
                    push(self.ratio_check(format!("get, {title}"), "get", backend, Subject::DbFloor, base, 0.5));
                    for scenario in ["get", "queue"] {
                        let target = format!("{scenario}, {title}");
                        push(self.ratio_check(target, scenario, backend, Subject::PreparedFloor, base, 0.5));
                    }
                }
            }
            let million = 1_000_000;
            let queue_target = format!("queue with 1,000,000 tickets, {title}");
            let queue_check = match backend {
                Backend::Sqlite => self.ratio_check(queue_target, "queue", backend, Subject::HttpFloor, million, 0.1),
                Backend::Postgres => self.ratio_check(queue_target, "queue", backend, Subject::DbFloor, million, 0.4),
            };
            push(queue_check);
            for scenario in ["queue", "get", "queue (slaBreached)", "queue (sort=dueAt)"] {
                let target = format!("scale: {scenario} p50 at 1,000,000 vs 10,000 tickets, {title} (c=1)");
                let goal = "<= 1.5x".to_owned();
                let small = self.find(Subject::Supportdesk, Some(backend), scenario, 1, Some(base));
                let large = if largest >= million {
                    self.find(Subject::Supportdesk, Some(backend), scenario, 1, Some(largest))
                } else {
                    None
                };
                push(match (small, large) {
                    (Some(small), Some(large)) if small.p50_ms > 0.0 => {
                        let factor = large.p50_ms / small.p50_ms;
                        Check {
                            target,
                            goal,
                            measured: format!("{factor:.2}x ({:.2} ms vs {:.2} ms)", large.p50_ms, small.p50_ms),
                            verdict: if factor <= 1.5 { Verdict::Met } else { Verdict::Missed },
                        }
                    }
                    _ => Check { target, goal, measured: "-".into(), verdict: Verdict::NotMeasured },
                });
            }
        }
        // Issue 13: a 30-day report at the largest size, concurrency 1, both backends.
        for backend in [Backend::Sqlite, Backend::Postgres] {
            for scenario in ["report (day)", "report (agent)"] {
                let target = format!(
                    "{scenario}: 30-day summary at {} tickets, {} (c=1): p99",
                    thousands(largest),
                    backend.title()
                );
                let goal = "<= 200 ms".to_owned();
                checks.push(match self.find(Subject::Supportdesk, Some(backend), scenario, 1, Some(largest)) {
                    Some(run) if backends.contains(&backend) => Check {
                        target,
                        goal,
                        measured: format!("{:.1} ms (p50 {:.1} ms)", run.p99_ms, run.p50_ms),
                        verdict: if run.p99_ms <= 200.0 { Verdict::Met } else { Verdict::Missed },
                    },
                    _ => Check { target, goal, measured: "-".into(), verdict: Verdict::NotMeasured },
                });
            }
        }
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let mut search = self.search_checks(backend, base, largest);
            if !backends.contains(&backend) {
                search = search
                    .into_iter()
                    .map(|c| Check { measured: "-".into(), verdict: Verdict::NotMeasured, ..c })
                    .collect();
            }
            checks.extend(search);
        }
        // Latency at concurrency 1 on SQLite.
        let sqlite = backends.contains(&Backend::Sqlite);
        for (kind, scenarios, limit) in [
            ("reads", &["get", "queue", "queue (assigneeId)", "queue (q)", "mine", "customers (q)"][..], 5.0),
            ("writes", &["create", "reply (customer)", "reply (agent + status)"][..], 10.0),
        ] {
            let target = format!("concurrency 1, SQLite {kind}: p99");
            let goal = format!("<= {limit:.0} ms");
            let runs: Vec<&Run> = scenarios
                .iter()
                .filter_map(|s| self.find(Subject::Supportdesk, Some(Backend::Sqlite), s, 1, Some(base)))
                .collect();
            if !sqlite || runs.is_empty() {
                checks.push(Check { target, goal, measured: "-".into(), verdict: Verdict::NotMeasured });
                continue;
            }
            let worst = runs.iter().map(|r| r.p99_ms).fold(0.0, f64::max);
            let detail = runs.iter().map(|r| format!("{} {:.2}", r.scenario, r.p99_ms)).collect::<Vec<_>>().join(", ");
            checks.push(Check {
                target,
                goal,
                measured: format!("worst {worst:.2} ms ({detail})"),
                verdict: if worst <= limit { Verdict::Met } else { Verdict::Missed },
            });
        }
        for backend in [Backend::Sqlite, Backend::Postgres] {
            checks.extend(self.fan_out_checks(backend, base));
        }
        let servers: Vec<&ServerMemory> = self.memory.iter().filter(|m| m.backend.is_some()).collect();
        if servers.is_empty() {
            checks.push(Check {
                target: "memory: idle RSS".into(),
                goal: "<= 40 MiB".into(),
                measured: "-".into(),
                verdict: Verdict::NotMeasured,
            });
            checks.push(Check {
                target: "memory: peak RSS".into(),
                goal: "<= 200 MiB".into(),
                measured: "-".into(),
                verdict: Verdict::NotMeasured,
            });
        } else {
            let idle = servers.iter().map(|m| m.idle_rss_mib).fold(0.0, f64::max);
            let peak = servers.iter().map(|m| m.peak_rss_mib).fold(0.0, f64::max);
            checks.push(Check {
                target: "memory: idle RSS (largest of the service's processes)".into(),
                goal: "<= 40 MiB".into(),
                measured: format!("{idle:.1} MiB"),
                verdict: if idle <= 40.0 { Verdict::Met } else { Verdict::Missed },
            });
            checks.push(Check {
                target: "memory: peak RSS (largest of the service's processes)".into(),
                goal: "<= 200 MiB".into(),
                measured: format!("{peak:.1} MiB"),
                verdict: if peak <= 200.0 { Verdict::Met } else { Verdict::Missed },
            });
        }
        let (limit, name) = if self.quick { (180.0, "`BENCH_QUICK=1 make bench`") } else { (1200.0, "`make bench`") };
        checks.push(Check {
            target: format!("duration of {name} (bench binary; release build excluded)"),
            goal: format!("< {:.0} min", limit / 60.0),
            measured: format!("{:.1} min", self.wall_seconds / 60.0),
            verdict: if self.wall_seconds < limit { Verdict::Met } else { Verdict::Missed },
        });
        let errors: u64 = self.runs.iter().map(|r| r.errors).sum();
        checks.push(Check {
            target: "errors (non-2xx or failed requests, all runs)".into(),
            goal: "0".into(),
            measured: errors.to_string(),
            verdict: if errors == 0 { Verdict::Met } else { Verdict::Missed },
        });
        checks
    }

    /// Issue 14's targets at the largest size, concurrency 1: search p99 under 20 ms for a
    /// rare and a common word and under 5 ms by number or order id, every other read's p99
    /// at most 5 ms, a deep cursor page within 1.5x of the first; and the search row's cost
    /// per create at the database floor (c=32, at most 15 % fewer creates).
    fn search_checks(&self, backend: Backend, base: u64, largest: u64) -> Vec<Check> {
        let title = backend.title();
        let at = thousands(largest);
        let mut checks = Vec::new();
        let p99 = |scenario: &str, limit: f64| {
            let target = format!("{scenario} at {at} tickets, {title} (c=1): p99");
            let goal = format!("< {limit:.0} ms");
            match self.find(Subject::Supportdesk, Some(backend), scenario, 1, Some(largest)) {
                Some(run) => Check {
                    target,
                    goal,
                    measured: format!("{:.2} ms (p50 {:.2} ms)", run.p99_ms, run.p50_ms),
                    verdict: if run.p99_ms < limit { Verdict::Met } else { Verdict::Missed },
                },
                None => Check { target, goal, measured: "-".into(), verdict: Verdict::NotMeasured },
            }
        };
        for scenario in ["search (rare word)", "search (common word)"] {
            checks.push(p99(scenario, 20.0));
        }
        for scenario in ["search (number)", "queue (q order id)"] {
            checks.push(p99(scenario, 5.0));
        }
        let reads =
            ["get", "queue", "queue (slaBreached)", "queue (sort=dueAt)", "cursor (first page)", "cursor (deep page)"];
        let runs: Vec<&Run> =
            reads.iter().filter_map(|s| self.find(Subject::Supportdesk, Some(backend), s, 1, Some(largest))).collect();
        let target = format!("every other read at {at} tickets, {title} (c=1): p99");
        let goal = "<= 5 ms".to_owned();
        checks.push(if runs.is_empty() {
            Check { target, goal, measured: "-".into(), verdict: Verdict::NotMeasured }
        } else {
            let worst = runs.iter().map(|r| r.p99_ms).fold(0.0, f64::max);
            let detail = runs.iter().map(|r| format!("{} {:.2}", r.scenario, r.p99_ms)).collect::<Vec<_>>().join(", ");
            Check {
                target,
                goal,
                measured: format!("worst {worst:.2} ms ({detail})"),
                verdict: if worst <= 5.0 { Verdict::Met } else { Verdict::Missed },
            }
        });
        let target = format!("cursor page at 90 % of {at} tickets vs the first page, {title} (c=1): p50");
        let goal = "<= 1.5x".to_owned();
        let first = self.find(Subject::Supportdesk, Some(backend), "cursor (first page)", 1, Some(largest));
        let deep = self.find(Subject::Supportdesk, Some(backend), "cursor (deep page)", 1, Some(largest));
        checks.push(match (first, deep) {
            (Some(first), Some(deep)) if first.p50_ms > 0.0 => {
                let factor = deep.p50_ms / first.p50_ms;
                Check {
                    target,
                    goal,
                    measured: format!("{factor:.2}x ({:.2} ms vs {:.2} ms)", deep.p50_ms, first.p50_ms),
                    verdict: if factor <= 1.5 { Verdict::Met } else { Verdict::Missed },
                }
            }
            _ => Check { target, goal, measured: "-".into(), verdict: Verdict::NotMeasured },
        });
        let target = format!("creates with the search row vs without, database floor, {title} (c=32)");
        let goal = "at most 15 % fewer".to_owned();
        let with = self.find(Subject::DbFloor, Some(backend), "create", 32, Some(base));
        let without = self.find(Subject::DbFloor, Some(backend), "create (without search)", 32, Some(base));
        checks.push(match (with, without) {
            (Some(with), Some(without)) if without.rps > 0.0 => {
                let drop = 1.0 - with.rps / without.rps;
                Check {
                    target,
                    goal,
                    measured: format!("{:.1} % fewer ({:.0} vs {:.0} creates/s)", drop * 100.0, with.rps, without.rps),
                    verdict: if drop <= 0.15 { Verdict::Met } else { Verdict::Missed },
                }
            }
            _ => Check { target, goal, measured: "-".into(), verdict: Verdict::NotMeasured },
        });
        checks
    }

    /// Issue 12's targets: commit-to-delivery p99 under 1 s at 200 creates/s; the create
    /// latencies with two endpoints subscribed within 10 % of those without.
    fn fan_out_checks(&self, backend: Backend, base: u64) -> Vec<Check> {
        let title = backend.title();
        let target = format!("webhook fan-out, {title}: commit to delivery p99 at 200 creates/s, 2 endpoints");
        let goal = "< 1,000 ms".to_owned();
        let mut checks = vec![match self.fan_out.iter().find(|f| f.backend == backend) {
            Some(f) => Check {
                target,
                goal,
                measured: format!(
                    "{:.1} ms (p50 {:.1} ms, {} deliveries, {} undelivered)",
                    f.delivery_p99_ms, f.delivery_p50_ms, f.deliveries, f.undelivered
                ),
                verdict: if f.delivery_p99_ms < 1_000.0 && f.undelivered == 0 { Verdict::Met } else { Verdict::Missed },
            },
            None => Check { target, goal, measured: "-".into(), verdict: Verdict::NotMeasured },
        }];
        for concurrency in CONCURRENCY_OF_LATENCY_CHECKS {
            let target = format!("create latency with 2 webhook endpoints vs none, {title}, c={concurrency}");
            let goal = "p50 and p99 <= +10 %".to_owned();
            let without = self.find(Subject::Supportdesk, Some(backend), "create", concurrency, Some(base));
            let with = self.find(Subject::Supportdesk, Some(backend), CREATE_WITH_WEBHOOKS, concurrency, Some(base));
            checks.push(match (without, with) {
                (Some(without), Some(with)) if without.p50_ms > 0.0 && without.p99_ms > 0.0 => {
                    let p50 = with.p50_ms / without.p50_ms - 1.0;
                    let p99 = with.p99_ms / without.p99_ms - 1.0;
                    Check {
                        target,
                        goal,
                        measured: format!(
                            "p50 {:+.0} % ({:.2} vs {:.2} ms), p99 {:+.0} % ({:.2} vs {:.2} ms)",
                            p50 * 100.0,
                            with.p50_ms,
                            without.p50_ms,
                            p99 * 100.0,
                            with.p99_ms,
                            without.p99_ms
                        ),
                        verdict: if p50 <= 0.10 && p99 <= 0.10 { Verdict::Met } else { Verdict::Missed },
                    }
                }
                _ => Check { target, goal, measured: "-".into(), verdict: Verdict::NotMeasured },
            });
        }
        checks
    }

    /// The markdown section.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let kind = if self.quick { "quick run (`BENCH_QUICK=1`)" } else { "full run" };
        let _ = writeln!(md, "## Results: {kind}, {}\n", self.started_at);
        let m = &self.machine;
        let _ = writeln!(
            md,
            "Machine: {} CPUs ({}), {:.1} GiB memory, Linux {}{}. Load generator, server and database on the \
             same cores, over loopback. Command: `{}`. Bench wall time {:.1} min (release build excluded). \
             Each run: {:.1} s measured after a warm-up.\n",
            m.cpus,
            m.cpu_model,
            m.memory_gib,
            m.kernel,
            m.postgres.as_deref().map_or_else(String::new, |v| format!(", {v}")),
            self.command,
            self.wall_seconds / 60.0,
            self.run_seconds
        );
        let _ = writeln!(md, "### supportdesk as a fraction of its floors\n");
        let _ =
            writeln!(md, "| scenario | backend | tickets | c | supportdesk req/s | floor | floor ops/s | fraction |");
        let _ = writeln!(md, "|---|---|---:|---:|---:|---|---:|---:|");
        for r in &self.ratios {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {:.0} | {} | {:.0} | **{:.1} %** |",
                r.scenario,
                r.backend.title(),
                thousands(r.tickets),
                r.concurrency,
                r.service_rps,
                r.floor.name(),
                r.floor_rps,
                r.fraction * 100.0
            );
        }
        let _ = writeln!(md, "\n### Targets\n");
        let _ = writeln!(md, "| target | goal | measured | verdict |");
        let _ = writeln!(md, "|---|---|---|---|");
        for c in &self.checks {
            let _ = writeln!(md, "| {} | {} | {} | {} |", c.target, c.goal, c.measured, c.verdict.mark());
        }
        let _ = writeln!(md, "\n### All runs\n");
        let _ = writeln!(
            md,
            "| what | backend | scenario | tickets | c | req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | server CPU s / 1k req | server peak RSS MiB |"
        );
        let _ = writeln!(md, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &self.runs {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} | {} |",
                r.subject.name(),
                r.backend.map_or("-", Backend::title),
                r.scenario,
                thousands(r.tickets),
                r.concurrency,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                r.p999_ms,
                r.max_ms,
                r.errors,
                r.cpu_s_per_1k.map_or_else(|| "-".to_owned(), |c| format!("{c:.3}")),
                r.peak_rss_mib.map_or_else(|| "-".to_owned(), |m| format!("{m:.1}")),
            );
        }
        if !self.fan_out.is_empty() {
            let _ = writeln!(md, "\n### Webhook fan-out and the feed's lag\n");
            let _ = writeln!(
                md,
                "Two endpoints subscribed to every event, on a receiver in the bench process; `create` at a steady \
                 rate from 8 connections. Latency: arrival at the receiver (or at a follower long-polling the feed) \
                 minus the event's `occurredAt`.\n"
            );
            let _ = writeln!(
                md,
                "| backend | creates/s asked | answered/s | events | deliveries | deliveries/s | delivery p50 ms | p99 ms | max ms | feed lag p50 ms | p99 ms | undelivered |"
            );
            let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for f in &self.fan_out {
                let _ = writeln!(
                    md,
                    "| {} | {:.0} | {:.0} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
                    f.backend.title(),
                    f.rate,
                    f.creates_per_s,
                    thousands(f.events),
                    thousands(f.deliveries),
                    f.deliveries_per_s,
                    f.delivery_p50_ms,
                    f.delivery_p99_ms,
                    f.delivery_max_ms,
                    f.feed_p50_ms,
                    f.feed_p99_ms,
                    f.undelivered
                );
            }
        }
        let _ = writeln!(md, "\n### Server memory\n");
        let _ = writeln!(md, "| server | idle RSS MiB | peak RSS MiB |");
        let _ = writeln!(md, "|---|---:|---:|");
        for s in &self.memory {
            let _ = writeln!(md, "| {} | {:.1} | {:.1} |", s.server, s.idle_rss_mib, s.peak_rss_mib);
        }
        let _ = writeln!(md, "\n### Seeding (bulk path, not HTTP)\n");
        let _ =
            writeln!(md, "| backend | database | tickets after | tickets | messages | events | seconds | tickets/s |");
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|");
        for s in &self.seeding {
            let rate = if s.written.seconds > 0.0 { s.written.tickets as f64 / s.written.seconds } else { 0.0 };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {:.1} | {:.0} |",
                s.backend.title(),
                s.database,
                thousands(s.tickets_after),
                thousands(s.written.tickets),
                thousands(s.written.messages),
                thousands(s.written.events),
                s.written.seconds,
                rate
            );
        }
        if !self.search_index.is_empty() {
            let _ = writeln!(md, "\n### The search index's size (reads database)\n");
            let _ = writeln!(
                md,
                "| backend | tickets | messages | message bodies MiB | `ticket_search` MiB | full-text index MiB |"
            );
            let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
            for s in &self.search_index {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {:.1} | {:.1} | {:.1} |",
                    s.backend.title(),
                    thousands(s.tickets),
                    thousands(s.messages),
                    s.messages_mib,
                    s.text_mib,
                    s.index_mib
                );
            }
        }
        let errors: Vec<&Run> = self.runs.iter().filter(|r| r.errors > 0).collect();
        if !errors.is_empty() {
            let _ = writeln!(md, "\n### Errors\n");
            for r in errors {
                for sample in &r.error_samples {
                    let _ = writeln!(
                        md,
                        "- {} {} c={}: `{}`",
                        r.backend.map_or("-", Backend::title),
                        r.scenario,
                        r.concurrency,
                        sample.replace('`', "'")
                    );
                }
            }
        }
        md
    }
}

/// The concurrencies at which the create latency with webhooks is held to the one without.
const CONCURRENCY_OF_LATENCY_CHECKS: [usize; 2] = [1, 32];

/// `1000000` as `1,000,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Replaces the section between `<!-- bench:KEY:begin -->` and `<!-- bench:KEY:end -->`
/// of the markdown file at `path` (creating the file, or appending the section, when
/// missing).
///
/// # Errors
///
/// File system errors.
pub fn write_section(path: &Path, key: &str, content: &str) -> Result<(), BoxError> {
    let begin = format!("<!-- bench:{key}:begin -->");
    let end = format!("<!-- bench:{key}:end -->");
    let block = format!("{begin}\n{content}\n{end}");
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let updated = match (existing.find(&begin), existing.find(&end)) {
        (Some(start), Some(stop)) if stop > start => {
            format!("{}{}{}", &existing[..start], block, &existing[stop + end.len()..])
        }
        _ if existing.is_empty() => format!("# supportdesk benchmarks\n\n{block}\n"),
        _ => format!("{}\n{block}\n", existing.trim_end()),
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, updated)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn a_section_is_replaced_in_place_and_the_rest_is_kept() {
        let dir = std::env::temp_dir().join(format!("bench-report-{}", std::process::id()));
        let path = dir.join("b.md");
        let _ = std::fs::remove_file(&path);
        write_section(&path, "quick", "one").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("intro\n{text}\nanalysis\n")).unwrap();
        write_section(&path, "quick", "two").unwrap();
        write_section(&path, "full", "three").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("intro") && text.contains("analysis") && text.contains("two") && text.contains("three"));
        assert!(!text.contains("one"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
