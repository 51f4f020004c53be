//! Argon2id password hashing with OWASP's parameters, off the async workers.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::AppError;
use crate::ports::PasswordHasher;

/// Argon2id (m = 19 MiB, t = 2, p = 1, OWASP's recommendation). Each hash runs on tokio's
/// blocking pool, and at most `max_concurrent` run at once, so a login flood queues instead
/// of starving the server of threads and memory.
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2Hasher").field("params", &self.params).finish_non_exhaustive()
    }
}

impl Argon2Hasher {
    /// OWASP parameters; `max_concurrent` hashes at once (at least 1).
    ///
    /// # Errors
    ///
    /// Fails only if the fixed parameters are refused by the `argon2` crate.
    pub fn new(max_concurrent: usize) -> Result<Self, AppError> {
        let params = Params::new(19 * 1024, 2, 1, None).map_err(internal)?;
        Self::with_params(params, max_concurrent)
    }

    /// Custom parameters, e.g. cheaper ones for tests.
    ///
    /// # Errors
    ///
    /// Fails when the dummy hash cannot be made with `params`.
    pub fn with_params(params: Params, max_concurrent: usize) -> Result<Self, AppError> {
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let salt = SaltString::generate(&mut OsRng);
        let dummy = argon.hash_password(b"supportdesk-dummy-password", &salt).map_err(internal)?.to_string();
        Ok(Self { params, permits: Arc::new(Semaphore::new(max_concurrent.max(1))), dummy_hash: dummy.into() })
    }

    fn argon(params: &Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(internal)?;
        tokio::task::spawn_blocking(work).await.map_err(internal)
    }
}

fn internal(error: impl std::fmt::Display) -> AppError {
    AppError::Internal(error.to_string().into())
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> Result<String, AppError> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            Self::argon(&params).hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(internal)
        })
        .await?
    }

    async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, AppError> {
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let params = self.params.clone();
        let password = password.to_owned();
        let matches = self
            .run(move || {
                let Ok(parsed) = PasswordHash::new(&hash) else {
                    return false;
                };
                Self::argon(&params).verify_password(password.as_bytes(), &parsed).is_ok()
            })
            .await?;
        Ok(known && matches)
    }
}

/// A share of the password hasher's capacity for one kind of work. Registration hashes a
/// new password for anyone who asks; if it could take every permit of the hasher, a flood
/// of sign-ups would make every login wait behind it. With
/// [`Argon2Hasher::new(2)`](Argon2Hasher::new) and registration's share of 1, logins always
/// keep at least one permit of their own.
#[derive(Debug)]
pub struct HashShare {
    permits: Semaphore,
    wait: Duration,
}

impl HashShare {
    /// The default share of registration: one hash at a time, waiting at most 2 seconds.
    pub const REGISTRATION_DEFAULT: (usize, Duration) = (1, Duration::from_secs(2));

    /// At most `concurrent` (at least 1) hashes of this kind at once; a caller waits at most
    /// `wait` for its turn.
    pub fn new(concurrent: usize, wait: Duration) -> Self {
        Self { permits: Semaphore::new(concurrent.max(1)), wait }
    }

    /// A turn, held until the guard is dropped.
    ///
    /// # Errors
    ///
    /// [`AppError::Busy`] when no turn came within the wait.
    pub async fn turn(&self) -> Result<SemaphorePermit<'_>, AppError> {
        let busy = || AppError::Busy { retry_after_secs: self.wait.as_secs().max(1) };
        match tokio::time::timeout(self.wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(busy()),
        }
    }
}
