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
            migrate(&storage.data_dir).await?.close().await;
            tracing::info!(data_dir = %storage.data_dir.display(), "database is up to date");
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
