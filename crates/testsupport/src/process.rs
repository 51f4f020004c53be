//! Starting a server binary and reading where it listens: the one way the black-box tests,
//! the bench and the crash test do it.
//!
//! The server logs `listening on http://ADDR` (text or JSON) once it accepts connections.
//! Its standard output and error are read on threads of their own until they close, so it
//! never blocks on a full pipe; the last lines are kept for error messages, and lines that
//! say a thread panicked or log an `ERROR` are counted.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::BoxError;

/// How many of the last lines [`Output`] keeps.
const TAIL_LINES: usize = 60;

/// What a process printed: its last lines, and counts of the lines that matter.
#[derive(Debug, Default)]
pub struct Output {
    tail: Mutex<VecDeque<String>>,
    /// Lines that say a thread panicked.
    pub panics: AtomicU64,
    /// `ERROR` lines (a 500 logs its cause chain once).
    pub errors: AtomicU64,
}

impl Output {
    /// Records one line.
    pub fn remember(&self, line: String) {
        if line.contains("panicked") {
            self.panics.fetch_add(1, Ordering::Relaxed);
        }
        if line.contains(" ERROR ") || line.contains("\"level\":\"ERROR\"") {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut tail) = self.tail.lock() {
            if tail.len() >= TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }

    /// The last lines printed.
    pub fn tail(&self) -> String {
        self.tail.lock().map(|lines| lines.iter().cloned().collect::<Vec<_>>().join("\n")).unwrap_or_default()
    }
}

/// The address in a line like `... listening on http://127.0.0.1:41234 backend=Sqlite` or
/// `{"message":"listening on http://127.0.0.1:8080", ...}`.
///
/// ```
/// use supportdesk_testsupport::process::parse_listening;
/// let line = "INFO supportdesk: listening on http://127.0.0.1:41234 backend=Sqlite";
/// assert_eq!(parse_listening(line), Some("127.0.0.1:41234".parse().unwrap()));
/// ```
pub fn parse_listening(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("listening on http://")?;
    let end = rest.find(|c: char| c.is_whitespace() || c == '\u{1b}' || c == ',' || c == '"').unwrap_or(rest.len());
    rest[..end].trim_end_matches('/').parse().ok()
}

/// A started process that said where it listens.
#[derive(Debug)]
pub struct Listening {
    /// The process; the caller stops it.
    pub child: Child,
    /// Where it listens.
    pub address: SocketAddr,
    /// What it printed, and prints from now on.
    pub output: Arc<Output>,
}

/// Starts `command` (its standard output and error are piped here; `NO_COLOR` is set) and
/// waits at most `ready_within` for the line that says where it listens. What it prints
/// goes to `output` (a fresh one, or a restarted server's, to keep counting over its
/// lives). `name` is for messages.
///
/// # Errors
///
/// The program does not start, exits first, or says nothing about listening in time (it is
/// then killed). Each error carries the last lines it printed.
pub fn start_listening(
    mut command: Command,
    name: &str,
    ready_within: Duration,
    output: Arc<Output>,
) -> Result<Listening, BoxError> {
    command.env("NO_COLOR", "1").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| format!("cannot start {name} ({:?}): {e}", command.get_program()))?;
    let (found, listening) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        drain(stdout, output.clone(), Some(found.clone()));
    }
    if let Some(stderr) = child.stderr.take() {
        drain(stderr, output.clone(), Some(found));
    }
    let deadline = Instant::now() + ready_within;
    loop {
        match listening.recv_timeout(Duration::from_millis(50)) {
            Ok(address) => return Ok(Listening { child, address, output }),
            Err(_) => {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("{name} exited ({status}) before listening:\n{}", output.tail()).into());
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "{name} did not say where it listens within {ready_within:?}:\n{}",
                        output.tail()
                    )
                    .into());
                }
            }
        }
    }
}

/// Reads a child's stream line by line on a thread until it closes: remembers each line,
/// and reports the first address it finds.
pub fn drain(stream: impl Read + Send + 'static, output: Arc<Output>, found: Option<mpsc::Sender<SocketAddr>>) {
    std::thread::spawn(move || {
        let mut found = found;
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(address) = parse_listening(&line) {
                if let Some(sender) = found.take() {
                    let _ = sender.send(address);
                }
            }
            output.remember(line);
        }
    });
}

/// Stops a process: SIGTERM, up to `grace` to finish, then SIGKILL. Returns whether it
/// ended on the SIGTERM with success.
pub fn stop(child: &mut Child, grace: Duration) -> bool {
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let deadline = Instant::now() + grace;
    while terminated && Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::parse_listening;

    #[test]
    fn the_address_is_read_from_text_and_json_lines() {
        let line = "2026-01-01T00:00:00.000Z  INFO supportdesk: listening on http://127.0.0.1:41234 backend=Sqlite";
        assert_eq!(parse_listening(line), Some("127.0.0.1:41234".parse().unwrap()));
        let json = r#"{"fields":{"message":"listening on http://127.0.0.1:8080","backend":"Sqlite"}}"#;
        assert_eq!(parse_listening(json), Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(parse_listening("listening on http://nowhere"), None);
    }
}
