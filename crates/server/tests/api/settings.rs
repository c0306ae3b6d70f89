//! Settings and start-up as a person meets them: `boxoffice config`, `boxoffice.toml`, the
//! `BOXOFFICE_*` variables, and the one-sentence errors of a start that cannot succeed.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::helpers::{binary, create_event, hold};

/// What a finished `boxoffice` command printed.
struct Finished {
    success: bool,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `boxoffice args…` in `dir`, with `env` added and no stack traces asked for.
async fn boxoffice(args: &[&str], env: &[(&str, &str)], dir: &Path) -> anyhow::Result<Finished> {
    let started = Instant::now();
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(binary())
            .args(args)
            .current_dir(dir)
            .env_remove("RUST_BACKTRACE")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .kill_on_drop(true)
            .output(),
    )
    .await??;
    Ok(Finished {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    })
}

/// A failed start: non-zero, one line on stderr beginning `error: ` that contains every one of
/// `says`, and no stack trace.
fn assert_one_clear_error(run: &Finished, says: &[&str]) {
    assert!(!run.success, "the command should fail: {}", run.stdout);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one line, not: {}", run.stderr);
    assert!(lines[0].starts_with("error: "), "{}", run.stderr);
    for needle in says {
        assert!(
            lines[0].contains(needle),
            "missing {needle:?} in: {}",
            run.stderr
        );
    }
}

/// A port nothing listens on (bound, then let go).
fn closed_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

#[tokio::test]
async fn config_prints_each_setting_with_where_it_came_from_and_hides_secrets() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("boxoffice.toml"),
        "hold-minutes = 5\n\
         hold_limit = 3\n\
         cors-origin = [\"https://a.example\", \"https://b.example\"]\n\
         database-url = \"postgres://app:hunter2@db.example/boxoffice\"\n\
         gateway-port = 8000\n",
    )?;
    let run = boxoffice(
        &["config", "--gateway-port", "9000"],
        &[
            ("BOXOFFICE_HOLD_LIMIT", "4"),
            ("BOXOFFICE_GATEWAY_PORT", "9100"),
            (
                "BOXOFFICE_JWT_SECRET",
                "a-secret-of-forty-characters-or-so-123456",
            ),
        ],
        dir.path(),
    )
    .await?;
    assert!(run.success, "{}", run.stderr);
    let out = &run.stdout;
    for line in [
        "hold-minutes = 5  # file boxoffice.toml",
        "hold-limit = 4  # environment BOXOFFICE_HOLD_LIMIT",
        "gateway-port = 9000  # flag",
        "catalog-port = 50001  # default",
        "cors-origin = [\"https://a.example\", \"https://b.example\"]  # file boxoffice.toml",
        "database-url = \"postgres://app:********@db.example/boxoffice\"  # file boxoffice.toml",
        "jwt-secret = \"********\"  # environment BOXOFFICE_JWT_SECRET",
        "# smtp-url is not set",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing line {line:?} in:\n{out}"
        );
    }
    assert!(
        !out.contains("hunter2") && !out.contains("forty-characters"),
        "{out}"
    );
    // What it prints is a configuration file itself.
    let table: toml::Table = toml::from_str(out)?;
    assert_eq!(table["hold-minutes"].as_integer(), Some(5));
    assert_eq!(
        table.len(),
        out.lines().filter(|l| l.contains(" = ")).count()
    );
    Ok(())
}

#[tokio::test]
async fn the_example_file_is_what_config_example_prints() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let run = boxoffice(&["config", "--example"], &[], dir.path()).await?;
    assert!(run.success, "{}", run.stderr);
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../boxoffice.example.toml"),
    )?;
    assert!(
        committed == run.stdout,
        "boxoffice.example.toml is out of date"
    );
    // Uncommented, every line is a valid file that the server accepts as it is.
    let uncommented: String = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| l.contains(" = ") && !l.contains("(not set by default)"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("boxoffice.toml"), &uncommented)?;
    let checked = boxoffice(&["config"], &[], dir.path()).await?;
    assert!(checked.success, "{}", checked.stderr);
    assert!(
        checked
            .stdout
            .contains("hold-minutes = 15  # file boxoffice.toml")
    );
    Ok(())
}

#[tokio::test]
async fn a_misspelled_setting_stops_the_start_and_names_the_nearest() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let data = data.to_string_lossy();
    let serve = ["serve", "--no-demo", "--data-dir", &data];

    std::fs::write(dir.path().join("boxoffice.toml"), "hold-minuts = 5\n")?;
    let run = boxoffice(&serve, &[], dir.path()).await?;
    assert_one_clear_error(
        &run,
        &[
            "boxoffice.toml",
            "unknown setting `hold-minuts`",
            "did you mean `hold-minutes`?",
        ],
    );

    std::fs::write(dir.path().join("boxoffice.toml"), "hold-minutes = \"5\"\n")?;
    let run = boxoffice(&serve, &[], dir.path()).await?;
    assert_one_clear_error(&run, &["`hold-minutes`", "whole number"]);

    std::fs::write(dir.path().join("boxoffice.toml"), "gateway-port = 70000\n")?;
    let run = boxoffice(&serve, &[], dir.path()).await?;
    assert_one_clear_error(&run, &["boxoffice.toml", "70000", "--gateway-port"]);

    std::fs::remove_file(dir.path().join("boxoffice.toml"))?;
    let run = boxoffice(&serve, &[("BOXOFFICE_HOLD_MINUTS", "5")], dir.path()).await?;
    assert_one_clear_error(
        &run,
        &[
            "BOXOFFICE_HOLD_MINUTS",
            "did you mean BOXOFFICE_HOLD_MINUTES?",
        ],
    );

    let missing = boxoffice(&["serve", "--config", "elsewhere.toml"], &[], dir.path()).await?;
    assert_one_clear_error(&missing, &["elsewhere.toml"]);
    Ok(())
}

/// The file is not only printed but obeyed: a server started with it keeps its hold limit.
#[tokio::test]
async fn a_server_runs_with_the_settings_of_its_file() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("boxoffice.toml");
    std::fs::write(
        &file,
        "no-demo = true\nhold-limit = 1\nhold-rate-limit = 0\n",
    )?;
    let app = testkit::TestServer::start(&binary(), &["--config", &file.to_string_lossy()]).await?;
    let events = app.get("/events").await?;
    assert_eq!(
        events.json.as_array().map(Vec::len),
        Some(0),
        "no demo: {}",
        events.text
    );
    let (_, seats) = create_event(&app, 1, 3).await;
    let first = hold(&app, seats[0]["id"].as_str().unwrap_or_default(), "ana").await;
    assert_eq!(first.status, 201, "{}", first.text);
    let second = hold(&app, seats[1]["id"].as_str().unwrap_or_default(), "ana").await;
    assert_eq!(
        (second.status, second.code()),
        (409, "hold_limit_reached"),
        "{}",
        second.text
    );
    Ok(())
}

#[tokio::test]
async fn a_start_that_cannot_succeed_says_why_in_one_sentence() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory")?;
    let under_a_file = file.join("data");
    let run = boxoffice(
        &[
            "serve",
            "--no-demo",
            "--data-dir",
            &under_a_file.to_string_lossy(),
        ],
        &[],
        dir.path(),
    )
    .await?;
    assert_one_clear_error(
        &run,
        &[
            "the data directory",
            "cannot be created or written",
            "--data-dir",
        ],
    );

    let data = dir.path().join("data");
    let data = data.to_string_lossy();
    let nowhere = format!(
        "postgres://boxoffice:secret@127.0.0.1:{}/boxoffice",
        closed_port()?
    );
    let run = boxoffice(
        &[
            "serve",
            "--no-demo",
            "--data-dir",
            &data,
            "--database-url",
            &nowhere,
        ],
        &[],
        dir.path(),
    )
    .await?;
    assert_one_clear_error(
        &run,
        &[
            "cannot open the database at postgres://127.0.0.1:",
            "refused",
            "--database-url",
        ],
    );
    assert!(!run.stderr.contains("secret"), "{}", run.stderr);
    assert!(run.took < Duration::from_secs(15), "took {:?}", run.took);

    let broker = format!("127.0.0.1:{}", closed_port()?);
    let run = boxoffice(
        &[
            "serve",
            "--no-demo",
            "--data-dir",
            &data,
            "--kafka-brokers",
            &broker,
        ],
        &[],
        dir.path(),
    )
    .await?;
    assert_one_clear_error(
        &run,
        &[
            &format!("no Kafka broker answers at {broker}"),
            "--kafka-brokers",
        ],
    );
    assert!(run.took < Duration::from_secs(20), "took {:?}", run.took);
    Ok(())
}

/// `DATABASE_URL` (SPEC §2) names the database for every command, after `--database-url` and
/// `BOXOFFICE_DATABASE_URL`.
#[tokio::test]
async fn every_command_reads_database_url() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let data = data.to_string_lossy();
    let url = format!(
        "postgres://app:secret@127.0.0.1:{}/boxoffice",
        closed_port()?
    );
    let env = [("DATABASE_URL", url.as_str())];
    let migrate = boxoffice(&["migrate", "--data-dir", &data], &env, dir.path()).await?;
    assert_one_clear_error(
        &migrate,
        &["cannot open the database at postgres://127.0.0.1:"],
    );
    let admin = boxoffice(
        &[
            "admin",
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "long enough",
        ],
        &env,
        dir.path(),
    )
    .await?;
    assert_one_clear_error(
        &admin,
        &["cannot open the database at postgres://127.0.0.1:"],
    );
    let config = boxoffice(&["config"], &env, dir.path()).await?;
    assert!(
        config.stdout.lines().any(
            |l| l.starts_with("database-url = \"postgres://app:********@")
                && l.ends_with("# environment DATABASE_URL")
        ),
        "{}",
        config.stdout
    );
    let named = boxoffice(
        &["config"],
        &[
            ("DATABASE_URL", url.as_str()),
            ("BOXOFFICE_DATABASE_URL", "postgres://db/named"),
        ],
        dir.path(),
    )
    .await?;
    assert!(
        named.stdout.contains(
            "database-url = \"postgres://db/named\"  # environment BOXOFFICE_DATABASE_URL"
        ),
        "{}",
        named.stdout
    );
    Ok(())
}
