//! Wiring: configuration, the services of one process, their ports and background jobs.
//! `main.rs` only parses the command line and calls into here, so tests can run the very same
//! application in-process.

mod adapters;
mod application;
mod config;
mod state;

pub use application::{Application, ShutdownHandle, migrate, telemetry};
pub use config::{Cli, Command, ServeArgs, StorageArgs};
