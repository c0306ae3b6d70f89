//! The `boxoffice` command.

use std::io::Write as _;
use std::process::ExitCode;

use server::{
    AdminCommand, Application, Cli, Command, create_account, migrate, render_effective,
    render_example, run_bench, telemetry,
};

#[tokio::main]
async fn main() -> ExitCode {
    telemetry();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One sentence a person can act on; the chain of causes and the stack only when
            // asked for (RUST_BACKTRACE).
            let asked = std::env::var("RUST_BACKTRACE").is_ok_and(|v| v != "0");
            if asked {
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
