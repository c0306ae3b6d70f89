//! Delivery: SMTP, or `.eml` files when no SMTP server is configured.

use anyhow::Context;
use lettre::address::Envelope;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server (`smtp://host:port`, or `smtps://` for implicit TLS).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per message in this directory (each appears whole: it is written in a
    /// sibling `.mail-partial` directory first).
    Files(PathBuf),
}

impl Mailer {
    /// SMTP when `smtp_url` is given, else files under `mail_dir`.
    ///
    /// # Errors
    /// When the URL is invalid or the directory cannot be created.
    pub fn new(smtp_url: Option<&str>, mail_dir: PathBuf) -> anyhow::Result<Self> {
        match smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .with_context(
                        || "invalid --smtp-url (expected smtp://host:port or smtps://host:port)",
                    )?
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => {
                std::fs::create_dir_all(&mail_dir)
                    .with_context(|| format!("cannot create {}", mail_dir.display()))?;
                Ok(Self::Files(mail_dir))
            }
        }
    }

    /// How long a message taken for delivery stays with its sender before another sender may
    /// retry it: the longest a delivery may take. It is also how late a message is when its
    /// sender crashed halfway. SMTP may be slow (and a retry may send it twice), so minutes; a
    /// file is written in milliseconds and writing it again is harmless, so seconds.
    pub(crate) fn lease(&self) -> chrono::Duration {
        match self {
            Self::Smtp(_) => chrono::Duration::minutes(5),
            Self::Files(_) => chrono::Duration::seconds(5),
        }
    }

    /// Whether delivering a message a second time does no harm: a file of the same name
    /// replaces the first, while SMTP would send a second e-mail.
    pub(crate) fn resending_is_harmless(&self) -> bool {
        matches!(self, Self::Files(_))
    }

    /// Delivers one message.
    ///
    /// # Errors
    /// When the server refuses it or the file cannot be written.
    pub(crate) async fn deliver(
        &self,
        id: &str,
        from: &str,
        to: &str,
        raw: &[u8],
    ) -> anyhow::Result<()> {
        match self {
            Self::Smtp(transport) => {
                let envelope =
                    Envelope::new(Some(from.parse::<Address>()?), vec![to.parse::<Address>()?])?;
                transport.send_raw(&envelope, raw).await?;
            }
            Self::Files(dir) => {
                // Written beside the directory, then moved in: whoever watches it (a pickup
                // job, a person, a test) only ever sees whole messages, as in a maildir.
                let partial = dir.with_file_name(".mail-partial");
                tokio::fs::create_dir_all(&partial)
                    .await
                    .with_context(|| format!("cannot create {}", partial.display()))?;
                let written = partial.join(format!("{id}.eml"));
                tokio::fs::write(&written, raw)
                    .await
                    .with_context(|| format!("cannot write {}", written.display()))?;
                let path = dir.join(format!("{id}.eml"));
                tokio::fs::rename(&written, &path)
                    .await
                    .with_context(|| format!("cannot move the message to {}", path.display()))?;
            }
        }
        Ok(())
    }
}
