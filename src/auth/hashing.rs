//! Password hashing with argon2id at OWASP's recommended parameters
//! (19 MiB memory, 2 iterations, 1 lane).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, Mutex, mpsc};

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs `f` on one of a few long-lived hashing threads and waits for it. Each argon2
/// run takes 19 MiB; once freed, that buffer stays in the allocator arena of the
/// thread that used it, so hashing on whichever blocking thread is free would leave
/// ~19 MiB behind in each of them (measured: 32 → 420 MB under a sign-in flood).
/// How many run at once is bounded by the sign-in door's slots, not here.
fn on_hasher<T: Send + 'static>(f: impl FnOnce() -> T + Send + Clone + 'static) -> T {
    static POOL: std::sync::OnceLock<Option<Mutex<mpsc::Sender<Job>>>> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if spawned.is_err() {
                return None;
            }
        }
        Some(Mutex::new(tx))
    });
    let (done_tx, done_rx) = mpsc::sync_channel::<T>(1);
    let job_f = f.clone();
    let job: Job = Box::new(move || {
        let _ = done_tx.send(job_f());
    });
    let sent = pool
        .as_ref()
        .and_then(|p| p.lock().ok())
        .is_some_and(|tx| tx.send(job).is_ok());
    if sent && let Ok(v) = done_rx.recv() {
        return v;
    }
    // No pool (its threads could not start, or one died): hash right here.
    f()
}

/// argon2 refused to hash (in practice: it could not get its 19 MiB).
#[derive(Clone, Debug, thiserror::Error)]
#[error("cannot hash a password: {0}")]
pub struct HashError(String);

/// Hashes a password into a PHC string. Slow on purpose (tens of milliseconds).
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let password = password.to_string();
    on_hasher(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| HashError(e.to_string()))
    })
}

/// Whether `password` matches the PHC string `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    on_hasher(move || match PasswordHash::new(&hash) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    })
}

/// A real hash of a random password, verified against when the username is unknown
/// so that unknown and known usernames take the same time. Made once (the server
/// makes it at start, so a failure stops it there); an error when argon2 fails,
/// never an empty hash that would answer unknown names faster.
pub fn decoy_hash() -> Result<&'static str, HashError> {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(h) = DECOY.get() {
        return Ok(h);
    }
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    let random: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let made = hash_password(&random)?;
    Ok(DECOY.get_or_init(|| made))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_password("correct horse 42").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse 42", &h));
        assert!(!verify_password("correct horse 43", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn the_decoy_is_a_real_hash_made_once() {
        let h = decoy_hash().unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(std::ptr::eq(h, decoy_hash().unwrap()));
    }
}
