//! The `boxoffice` command's body. It lives in the library, not in `main.rs`, so that the code it
//! runs is compiled once, here: a binary that awaited the library's futures itself compiled them
//! a second time (a third of a clean release build's last, single-threaded minute).

use std::io::Write as _;
use std::process::ExitCode;

use crate::config::{AdminCommand, Cli, Command};
use crate::{
    Application, create_account, migrate, render_effective, render_example, run_bench, telemetry,
};

/// Runs the command line and turns a failure into one line on stderr and exit status 1.
pub fn main() -> ExitCode {
    telemetry();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One sentence a person can act on; the chain of causes and the stack only when
            // asked for (RUST_BACKTRACE).
            if std::env::var("RUST_BACKTRACE").is_ok_and(|v| v != "0") {
                eprintln!("error: {e:?}");
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    match Cli::load()?.command {
        Command::Serve(args) => Application::build(&args).await?.run_until_stopped().await,
        Command::Config(args) => {
            let text = if args.example {
                render_example()
            } else {
                render_effective(&args.serve.provenance)
            };
            std::io::stdout().write_all(text.as_bytes())?;
            if args.example {
                Ok(())
            } else {
                args.serve.validate()
            }
        }
        Command::Migrate(storage) => {
            let db = migrate(&storage).await?;
            tracing::info!(backend = ?db.backend(), "database is up to date");
            db.close().await;
            Ok(())
        }
        Command::Bench(args) => run_bench(&args).await,
        Command::Admin(AdminCommand::Create(args)) => {
            let created = create_account(&args).await?;
            tracing::info!(email = %args.email, created, "account ready");
            Ok(())
        }
    }
}
