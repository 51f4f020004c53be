//! The `supportdesk` processes under test: started on `127.0.0.1:0` (the address is read from
//! the `listening on http://ADDR` line), SIGKILLed, restarted on the same database.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

pub use supportdesk_testsupport::process::Output;
use supportdesk_testsupport::process::{start_listening, stop, Listening};

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
            .env("SUPPORTDESK_LOG", "warn,supportdesk=info,supportdesk_http=warn,supportdesk_app=warn");
        let Listening { child, address, .. } =
            start_listening(command, &self.name, Duration::from_secs(60), self.output.clone())?;
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
        stop(&mut child, Duration::from_secs(15));
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.stop();
    }
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
