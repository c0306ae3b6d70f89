//! The `boxoffice` command.

use server::{
    AdminCommand, Application, Cli, Command, create_account, migrate, run_bench, telemetry,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry();
    match Cli::load()?.command {
        Command::Serve(args) => Application::build(&args).await?.run_until_stopped().await,
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
