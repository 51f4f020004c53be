//! Child processes the bench starts (the server, the HTTP floor server, `supportdesk
//! migrate`) and what `/proc` says about them: CPU time and resident memory.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use supportdesk_testsupport::process::{drain, start_listening, stop, Listening, Output};

use crate::BoxError;

/// A running server process, stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    child: Option<Child>,
    /// Its process id.
    pub pid: u32,
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it is, for messages.
    pub name: String,
    output: Arc<Output>,
}

impl Server {
    /// Starts `program args` with `env`, and waits (at most `ready_within`) for the line
    /// that says where it listens.
    ///
    /// # Errors
    ///
    /// The program does not start, exits, or says nothing about listening in time.
    pub fn start(
        name: &str,
        program: &Path,
        args: &[&str],
        env: &[(&str, String)],
        ready_within: Duration,
    ) -> Result<Self, BoxError> {
        let mut command = Command::new(program);
        command.args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        let Listening { child, address, output } = start_listening(command, name, ready_within, Arc::default())?;
        Ok(Self { pid: child.id(), child: Some(child), addr: address, name: name.to_owned(), output })
    }

    /// User plus system CPU time so far, in seconds.
    ///
    /// # Errors
    ///
    /// `/proc/PID/stat` unreadable (the process is gone).
    pub fn cpu_seconds(&self) -> Result<f64, BoxError> {
        cpu_seconds(self.pid)
    }

    /// Resident memory now and its high-water mark.
    ///
    /// # Errors
    ///
    /// `/proc/PID/status` unreadable.
    pub fn memory(&self) -> Result<Memory, BoxError> {
        memory(self.pid)
    }

    /// The last lines the process printed.
    pub fn output(&self) -> String {
        self.output.tail()
    }

    /// Stops the process: SIGTERM, up to 10 seconds to finish, then SIGKILL.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, Duration::from_secs(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `program args` to its end, at most `limit`.
///
/// # Errors
///
/// It cannot start, fails, or overruns (then it is killed).
pub fn run_to_end(program: &Path, args: &[&str], env: &[(&str, String)], limit: Duration) -> Result<(), BoxError> {
    let mut command = Command::new(program);
    command.args(args).env("NO_COLOR", "1").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    let output = Arc::new(Output::default());
    if let Some(stdout) = child.stdout.take() {
        drain(stdout, output.clone(), None);
    }
    if let Some(stderr) = child.stderr.take() {
        drain(stderr, output.clone(), None);
    }
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            if status.success() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
            return Err(
                format!("{} {} failed ({status}):\n{}", program.display(), args.join(" "), output.tail()).into()
            );
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{} {} overran {limit:?}", program.display(), args.join(" ")).into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Clock ticks per second, the unit of `/proc/PID/stat` times (`getconf CLK_TCK`; 100 on
/// every Linux the bench runs on, which is the fallback).
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}

/// User plus system CPU seconds of process `pid` (its threads included).
///
/// # Errors
///
/// `/proc/PID/stat` unreadable or malformed.
pub fn cpu_seconds(pid: u32) -> Result<f64, BoxError> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).ok_or("malformed /proc/PID/stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14, stime field 15.
    let utime: f64 = fields.get(11).ok_or("no utime")?.parse()?;
    let stime: f64 = fields.get(12).ok_or("no stime")?.parse()?;
    Ok((utime + stime) / clock_ticks())
}

/// Resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the most it has been resident.
    pub peak_kib: u64,
}

/// `VmRSS` and `VmHWM` of process `pid`.
///
/// # Errors
///
/// `/proc/PID/status` unreadable.
pub fn memory(pid: u32) -> Result<Memory, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(Memory { rss_kib: field("VmRSS:"), peak_kib: field("VmHWM:") })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let pid = std::process::id();
        assert!(cpu_seconds(pid).unwrap() >= 0.0);
        let memory = memory(pid).unwrap();
        assert!(memory.rss_kib > 0 && memory.peak_kib >= memory.rss_kib);
    }
}
