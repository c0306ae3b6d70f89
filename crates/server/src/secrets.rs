//! Secrets generated once and kept in the data directory with owner-only permissions: the JWT
//! signing secret (unless configured) and the ticket signing key.

use anyhow::Context;
use std::path::Path;

/// Reads the `N`-byte secret stored hex-encoded at `path`, creating it on first use.
///
/// # Errors
/// When the file cannot be read or written, or holds something else.
pub(crate) fn load_or_create<const N: usize>(path: &Path) -> anyhow::Result<[u8; N]> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim())
                .with_context(|| format!("{} is not hex", path.display()))?;
            bytes
                .try_into()
                .map_err(|_| anyhow::anyhow!("{} does not hold a {N}-byte secret", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut secret = [0u8; N];
            rand::fill(&mut secret[..]);
            write_private(path, hex::encode(secret).as_bytes())?;
            Ok(secret)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(content)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, content).with_context(|| format!("cannot create {}", path.display()))
}
