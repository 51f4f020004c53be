//! The `supportdesk` processes under test: started on `127.0.0.1:0` (the address is read from
//! the `listening on http://ADDR` line), SIGKILLed, restarted on the same database.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::BoxError;

/// How the server processes are started.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The `supportdesk` binary.
    pub binary: PathBuf,
    /// `SUPPORTDESK_DATABASE_URL`.
    pub database_url: String,
    /// `SUPPORTDESK_JWT_SECRET`.
    pub secret: String,
}

/// What a server process printed that matters after the run, over all its lives.
#[derive(Debug, Default)]
pub struct Output {
    /// The last lines, for error messages.
    tail: Mutex<VecDeque<String>>,
    /// Lines that say a thread panicked.
    pub panics: AtomicU64,
    /// `ERROR` lines (a 500 logs its cause chain once).
    pub errors: AtomicU64,
}

impl Output {
    fn remember(&self, line: String) {
        if line.contains("panicked") {
            self.panics.fetch_add(1, Ordering::Relaxed);
        }
        if line.contains(" ERROR ") || line.contains("\"level\":\"ERROR\"") {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut tail) = self.tail.lock() {
            if tail.len() >= 60 {
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

/// One server: its current process (if alive) and the base URL clients use (`None` while it
/// is down between a kill and the restart's `listening` line).
pub struct Slot {
    /// `server A`, `server B`.
    pub name: String,
    launch: Launch,
    child: Mutex<Option<Child>>,
    base: RwLock<Option<Arc<str>>>,
    /// What it printed.
    pub output: Arc<Output>,
}

impl Slot {
    /// Starts a server and waits until it listens.
    ///
    /// # Errors
    ///
    /// It does not start, or exits or says nothing within a minute.
    pub fn start(name: &str, launch: Launch) -> Result<Self, BoxError> {
        let slot = Slot {
            name: name.to_owned(),
            launch,
            child: Mutex::new(None),
            base: RwLock::new(None),
            output: Arc::new(Output::default()),
        };
        slot.spawn()?;
        Ok(slot)
    }

    /// The base URL, `http://127.0.0.1:PORT`, while the server is up.
    pub fn base(&self) -> Option<Arc<str>> {
        self.base.read().ok().and_then(|base| base.clone())
    }

    fn spawn(&self) -> Result<(), BoxError> {
        let mut command = Command::new(&self.launch.binary);
        command
            .arg("serve")
            .env("SUPPORTDESK_DATABASE_URL", &self.launch.database_url)
            .env("SUPPORTDESK_BIND", "127.0.0.1:0")
            .env("SUPPORTDESK_JWT_SECRET", &self.launch.secret)
            .env("SUPPORTDESK_ADMIN_EMAIL", crate::tokens::ADMIN_EMAIL)
            .env("SUPPORTDESK_ADMIN_PASSWORD", crate::tokens::ADMIN_PASSWORD)
            .env("SUPPORTDESK_SHUTDOWN_TIMEOUT_SECS", "5")
            // The webhook receiver is on loopback; a short timeout keeps the lease of a
            // delivery claimed by a killed server short (3 x timeout + 30 s).
            .env("SUPPORTDESK_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("SUPPORTDESK_WEBHOOK_TIMEOUT_SECS", "2")
            .env("SUPPORTDESK_LOG", "warn,supportdesk=info,supportdesk_http=warn,supportdesk_app=warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {} ({}): {e}", self.name, self.launch.binary.display()))?;
        let (found, listening) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            drain(stdout, self.output.clone(), found.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            drain(stderr, self.output.clone(), found);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let address = loop {
            match listening.recv_timeout(Duration::from_millis(50)) {
                Ok(address) => break address,
                Err(_) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        return Err(format!(
                            "{} exited ({status}) before listening:\n{}",
                            self.name,
                            self.output.tail()
                        )
                        .into());
                    }
                    if Instant::now() >= deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(
                            format!("{} did not listen within a minute:\n{}", self.name, self.output.tail()).into()
                        );
                    }
                }
            }
        };
        *self.child.lock().map_err(|_| "poisoned")? = Some(child);
        *self.base.write().map_err(|_| "poisoned")? = Some(Arc::from(format!("http://{address}")));
        Ok(())
    }

    /// SIGKILL, wait for the process to be gone, start it again on the same database.
    /// Returns how long the server was down.
    ///
    /// # Errors
    ///
    /// The restart fails.
    pub fn kill_and_restart(&self) -> Result<Duration, BoxError> {
        let started = Instant::now();
        if let Some(mut child) = self.child.lock().map_err(|_| "poisoned")?.take() {
            // `Child::kill` is SIGKILL on Unix: no shutdown, no flush, no goodbye.
            child.kill()?;
            child.wait()?;
        }
        *self.base.write().map_err(|_| "poisoned")? = None;
        self.spawn()?;
        Ok(started.elapsed())
    }

    /// SIGTERM (a clean shutdown) and wait, at most 15 seconds, then SIGKILL.
    pub fn stop(&self) {
        let Ok(mut guard) = self.child.lock() else { return };
        let Some(mut child) = guard.take() else { return };
        if let Ok(mut base) = self.base.write() {
            *base = None;
        }
        let terminated = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        while terminated && Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The address in a line like `... listening on http://127.0.0.1:41234 backend=Sqlite`.
fn parse_listening(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("listening on http://")?;
    let end = rest.find(|c: char| c.is_whitespace() || c == '\u{1b}' || c == ',' || c == '"').unwrap_or(rest.len());
    let address = rest[..end].trim_end_matches('/');
    address.parse::<std::net::SocketAddr>().ok().map(|_| address.to_owned())
}

/// Reads a child's output on a thread until it closes: remembers it, reports the address.
fn drain(stream: impl Read + Send + 'static, output: Arc<Output>, found: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(address) = parse_listening(&line) {
                let _ = found.send(address);
            }
            output.remember(line);
        }
    });
}

/// The `supportdesk` binary next to this one (both are built by
/// `cargo build --release -p supportdesk -p supportdesk-crash`).
///
/// # Errors
///
/// This binary's path is unknown, or there is no `supportdesk` beside it.
pub fn sibling_binary() -> Result<PathBuf, BoxError> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().ok_or("this binary has no folder")?;
    let binary = dir.join("supportdesk");
    if !Path::new(&binary).exists() {
        return Err(
            format!("no supportdesk binary at {}: cargo build --release -p supportdesk", binary.display()).into()
        );
    }
    Ok(binary)
}

#[cfg(test)]
mod tests {
    use super::parse_listening;

    #[test]
    fn the_listening_line_gives_the_address() {
        let line = "2026-01-01T00:00:00.000Z  INFO supportdesk: listening on http://127.0.0.1:41234 backend=Sqlite";
        assert_eq!(parse_listening(line).as_deref(), Some("127.0.0.1:41234"));
        let json = r#"{"fields":{"message":"listening on http://127.0.0.1:8080","backend":"Sqlite"}}"#;
        assert_eq!(parse_listening(json).as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(parse_listening("listening on http://nowhere"), None);
    }
}
