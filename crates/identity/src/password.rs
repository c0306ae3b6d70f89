//! Password hashing (Argon2id, OWASP parameters: 19 MiB, 2 passes, 1 lane) on a fixed set of
//! threads, one per core, each with its own 19 MiB of working memory, allocated once.
//!
//! On tokio's blocking pool a burst of registrations started a thread per request, and glibc
//! kept each thread's 19 MiB arena chunks: 800 registrations took the server to 13.4 GB. With a
//! fresh allocation per hash on fixed threads it still grew past 350 MiB (the freed chunks stay
//! resident in the arenas). Here the memory is the threads' own and reused: about 20 MiB a core,
//! whatever the burst; requests queue for the threads, and the cores stay shared with the rest.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use std::cell::RefCell;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads; they end when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct HashingThreads {
    jobs: Sender<Job>,
}

thread_local! {
    /// The working memory of this thread's hashes.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

impl HashingThreads {
    /// Starts one thread per core.
    pub(crate) fn start() -> Self {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        for n in 0..cores {
            let queue = queue.clone();
            let started = std::thread::Builder::new()
                .name(format!("password-hashing-{n}"))
                .spawn(move || {
                    loop {
                        // The lock is held to take the next job, not to run it.
                        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        match next {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Self { jobs }
    }

    /// The PHC string of `password` with a fresh salt.
    pub(crate) async fn hash(&self, password: String) -> anyhow::Result<String> {
        self.run(move || with_blocks(|blocks| hash_with(blocks, &password)))
            .await?
    }

    /// Whether `password` matches the PHC string `hash`.
    pub(crate) async fn verify(&self, password: String, hash: String) -> anyhow::Result<bool> {
        self.run(move || with_blocks(|blocks| verify_with(blocks, &password, &hash)))
            .await
    }

    /// [`HashingThreads::hash`] on the calling thread (at start-up).
    pub(crate) fn hash_now(&self, password: &str) -> anyhow::Result<String> {
        hash_with(&mut Vec::new(), password)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                // Nobody waits for the answer if the client hung up.
                let _unwanted = answer.send(work()).is_err();
            }))
            .map_err(|_| anyhow::anyhow!("the password hashing threads are gone"))?;
        answered
            .await
            .map_err(|_| anyhow::anyhow!("a password hashing job was dropped"))
    }
}

fn with_blocks<T>(work: impl FnOnce(&mut Vec<Block>) -> T) -> T {
    BLOCKS.with(|blocks| work(&mut blocks.borrow_mut()))
}

fn hash_with(blocks: &mut Vec<Block>, password: &str) -> anyhow::Result<String> {
    let params = Params::DEFAULT;
    let mut salt = [0_u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0_u8; Params::DEFAULT_OUTPUT_LEN];
    blocks.resize(params.block_count(), Block::new());
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, &mut blocks[..])
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)
            .map_err(|e| anyhow::anyhow!("password hash parameters: {e}"))?,
        salt: Some(Salt::new(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("hash: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Recomputes the hash with the stored parameters and salt; a malformed hash matches nothing.
fn verify_with(blocks: &mut Vec<Block>, password: &str, hash: &str) -> bool {
    let Ok(phc) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(phc.algorithm.as_str()),
        Params::try_from(&phc),
        phc.salt,
        phc.hash,
    ) else {
        return false;
    };
    let Ok(version) = Version::try_from(phc.version.unwrap_or(0x13)) else {
        return false;
    };
    let mut out = vec![0_u8; expected.len()];
    blocks.resize(params.block_count(), Block::new());
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        &salt,
        &mut out,
        &mut blocks[..],
    );
    // `Output`'s equality takes the same time wherever the bytes differ.
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_reads_as_the_crates_own() {
        let mut blocks = Vec::new();
        let hash = hash_with(&mut blocks, "Passw0rd!").expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_with(&mut blocks, "Passw0rd!", &hash));
        assert!(!verify_with(&mut blocks, "passw0rd!", &hash));
        assert!(!verify_with(&mut blocks, "Passw0rd!", "not a hash"));
        // Interchangeable with the argon2 crate's own hashing (existing accounts keep working).
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let theirs = Argon2::default()
            .hash_password(b"Passw0rd!")
            .expect("hash")
            .to_string();
        assert!(verify_with(&mut blocks, "Passw0rd!", &theirs));
        assert!(
            Argon2::default()
                .verify_password(b"Passw0rd!", hash.as_str())
                .is_ok()
        );
    }
}
