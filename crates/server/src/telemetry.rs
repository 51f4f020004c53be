//! Logging: `tracing` as text or JSON lines, filtered by `SUPPORTDESK_LOG`: to standard
//! output when serving, to standard error for the commands whose standard output is their
//! answer (`supportdesk tenant ...` prints JSON for scripts).

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Installs the global subscriber.
///
/// # Errors
///
/// A message naming `SUPPORTDESK_LOG` when the filter does not parse.
pub fn init(config: &Config, to_stderr: bool) -> Result<(), String> {
    let filter = EnvFilter::try_new(&config.log).map_err(|e| format!("SUPPORTDESK_LOG: {e}"))?;
    // Colours only for a person at a terminal, never in files or log collectors.
    let ansi = if to_stderr {
        std::io::IsTerminal::is_terminal(&std::io::stderr())
    } else {
        std::io::IsTerminal::is_terminal(&std::io::stdout())
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi);
    let result = match (config.log_format, to_stderr) {
        (LogFormat::Text, false) => builder.try_init(),
        (LogFormat::Text, true) => builder.with_writer(std::io::stderr).try_init(),
        (LogFormat::Json, false) => builder.json().flatten_event(true).try_init(),
        (LogFormat::Json, true) => builder.json().flatten_event(true).with_writer(std::io::stderr).try_init(),
    };
    result.map_err(|e| format!("cannot install the logger: {e}"))
}
