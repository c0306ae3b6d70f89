//! Wiring: configuration, the services of one process, their ports and background jobs.
//! `main.rs` only parses the command line and calls into here, so tests can run the very same
//! application in-process.

mod adapters;
mod application;
mod background;
mod bench;
pub mod cli;
mod config;
mod fault;
mod internal;
mod metrics;
mod openapi;
mod operator;
mod remote;
mod secrets;
mod serve;
mod state;
mod wiring;

pub use application::{Application, ShutdownHandle, create_account, migrate, telemetry};
pub use background::Background;
pub use bench::{BenchArgs, run_bench};
pub use config::{
    AdminCommand, Cli, Command, ConfigArgs, CreateAdminArgs, Effective, Origin, Provenance,
    ServeArgs, StorageArgs, render_effective, render_example,
};
