//! The layers of `serve`'s settings: flags, then `BOXOFFICE_*` variables, then `boxoffice.toml`,
//! then defaults (SPEC §2).
//!
//! Each setting is declared once, as a field of [`ServeArgs`] with its flag and its variable
//! (`--hold-minutes`, `BOXOFFICE_HOLD_MINUTES`); its key in the file is the flag's name
//! (`hold-minutes`, or `hold_minutes`). Nothing here lists settings: the file's values are handed
//! to the same parser as flags (so they are checked alike), and `boxoffice config` and
//! `boxoffice.example.toml` are rendered from the declaration itself.

use anyhow::{Context, anyhow, bail};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, CommandFactory, FromArgMatches};
use std::any::TypeId;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Cli, Command, ServeArgs};

/// The variable the PostgreSQL tools read, accepted for `--database-url` as SPEC §2 says.
pub(super) const DATABASE_URL_VARIABLE: &str = "DATABASE_URL";

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Its declared default.
    Default,
    /// The configuration file.
    File(PathBuf),
    /// An environment variable (named).
    Environment(String),
    /// A flag on the command line.
    Flag,
    /// Nowhere: the setting has no default and was not given.
    Unset,
}

/// One setting's effective value and its origin.
#[derive(Debug, Clone)]
pub struct Effective {
    /// The flag's name, which is also the file's key.
    pub key: String,
    /// Its values as given (several for a list).
    pub values: Vec<String>,
    /// Where they came from.
    pub origin: Origin,
}

/// Every setting of `serve`, in declaration order, as the process resolved them.
#[derive(Debug, Clone, Default)]
pub struct Provenance(pub Vec<Effective>);

/// What a setting holds, read from its declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Switch,
    Number,
    Text,
    List,
}

/// The settings of `serve` a file or `boxoffice config` speaks of: every flag but `--config`.
fn settings() -> Vec<Arg> {
    let mut command = ServeArgs::augment_args(clap::Command::new("serve"));
    // Built, as the parser sees it: a switch's default (`false`) is set in the build.
    command.build();
    command
        .get_arguments()
        .filter(|a| a.get_long().is_some() && !["config", "help"].contains(&a.get_id().as_str()))
        .cloned()
        .collect()
}

fn key(arg: &Arg) -> &str {
    arg.get_long().unwrap_or_default()
}

fn kind(arg: &Arg) -> Kind {
    match arg.get_action() {
        ArgAction::SetTrue | ArgAction::SetFalse => Kind::Switch,
        ArgAction::Append => Kind::List,
        _ => {
            let parsed = arg.get_value_parser().type_id();
            let numbers = [
                TypeId::of::<u16>(),
                TypeId::of::<u32>(),
                TypeId::of::<u64>(),
            ];
            if numbers.iter().any(|n| parsed == *n) {
                Kind::Number
            } else {
                Kind::Text
            }
        }
    }
}

/// Whether the value must not be printed (`hide_env_values` in the declaration).
fn is_secret(arg: &Arg) -> bool {
    arg.is_hide_env_values_set()
}

/// Parses the command line, checks the environment, and folds `boxoffice.toml` into the settings
/// of `serve` and `config`.
///
/// # Errors
/// An unknown `BOXOFFICE_*` variable or file key (naming the nearest valid one), an unreadable
/// file, or a value of the wrong kind.
pub(super) fn load() -> anyhow::Result<Cli> {
    check_environment(std::env::vars_os().map(|(name, _)| name))?;
    let argv: Vec<OsString> = std::env::args_os().collect();
    let first = Cli::command().get_matches_from(&argv);
    let Some((name @ ("serve" | "config"), matches)) = first.subcommand() else {
        return Ok(Cli::from_arg_matches(&first)?);
    };
    let config_path: PathBuf = matches
        .get_one::<PathBuf>("config")
        .cloned()
        .unwrap_or_else(|| "boxoffice.toml".into());
    let explicit = matches.value_source("config") != Some(ValueSource::DefaultValue);
    let mut layered = Layered::default();
    layered.database_url_variable(matches);
    if let Some(table) = read_table(&config_path, explicit)? {
        layered.file(&config_path, &table, matches)?;
    }
    let mut full = argv;
    full.extend(layered.extra.iter().map(OsString::from));
    let matches = Cli::command().try_get_matches_from(&full).map_err(|e| {
        anyhow!(
            "{}: {}",
            config_path.display(),
            e.to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
        )
    })?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    let Some((_, sub)) = matches.subcommand() else {
        bail!("the {name} command went missing")
    };
    let provenance = layered.provenance(sub);
    match &mut cli.command {
        Command::Serve(args) => args.provenance = provenance,
        Command::Config(args) => args.serve.provenance = provenance,
        _ => {}
    }
    Ok(cli)
}

/// Values taken from outside the command line, as the flags that carry them.
#[derive(Debug, Default)]
struct Layered {
    extra: Vec<String>,
    /// The setting ids given this way, with where from.
    taken: Vec<(String, Origin)>,
}

impl Layered {
    /// `DATABASE_URL`, when `BOXOFFICE_DATABASE_URL` and the flag are absent.
    fn database_url_variable(&mut self, matches: &ArgMatches) {
        if given(matches, "database_url") {
            return;
        }
        if let Ok(url) = std::env::var(DATABASE_URL_VARIABLE) {
            self.extra.push(format!("--database-url={url}"));
            self.taken.push((
                "database_url".into(),
                Origin::Environment(DATABASE_URL_VARIABLE.into()),
            ));
        }
    }

    /// The file's keys, for the settings neither a flag nor a variable gave.
    fn file(
        &mut self,
        path: &Path,
        table: &toml::Table,
        matches: &ArgMatches,
    ) -> anyhow::Result<()> {
        let settings = settings();
        for (name, value) in table {
            let wanted = name.replace('_', "-");
            let Some(arg) = settings.iter().find(|a| key(a) == wanted) else {
                let keys: Vec<&str> = settings.iter().map(key).collect();
                bail!(
                    "{}: unknown setting `{name}`; did you mean `{}`? (`boxoffice config \
                     --example` lists every setting)",
                    path.display(),
                    nearest(&wanted, &keys)
                );
            };
            let id = arg.get_id().as_str();
            if given(matches, id) || self.taken.iter().any(|(t, _)| t == id) {
                continue;
            }
            let values =
                file_values(arg, value).with_context(|| format!("{}: `{name}`", path.display()))?;
            let flag = key(arg);
            self.extra.extend(values.into_iter().map(|v| match v {
                None => format!("--{flag}"),
                Some(v) => format!("--{flag}={v}"),
            }));
            self.taken
                .push((id.to_string(), Origin::File(path.to_path_buf())));
        }
        Ok(())
    }

    fn provenance(&self, matches: &ArgMatches) -> Provenance {
        Provenance(
            settings()
                .iter()
                .map(|arg| {
                    let id = arg.get_id().as_str();
                    let origin = match (
                        self.taken.iter().find(|(t, _)| t == id),
                        matches.value_source(id),
                    ) {
                        (Some((_, origin)), _) => origin.clone(),
                        (None, Some(ValueSource::CommandLine)) => Origin::Flag,
                        (None, Some(ValueSource::EnvVariable)) => Origin::Environment(
                            arg.get_env()
                                .map(|e| e.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                        ),
                        (None, Some(ValueSource::DefaultValue)) => Origin::Default,
                        (None, _) => Origin::Unset,
                    };
                    let values = matches
                        .get_raw(id)
                        .map(|raw| raw.map(|v| v.to_string_lossy().into_owned()).collect())
                        .unwrap_or_default();
                    Effective {
                        key: key(arg).to_string(),
                        values,
                        origin,
                    }
                })
                .collect(),
        )
    }
}

/// Whether a flag or a variable gave setting `id`.
fn given(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// A file's value as the flag's values (`None`: the flag alone, for a switch that is on).
fn file_values(arg: &Arg, value: &toml::Value) -> anyhow::Result<Vec<Option<String>>> {
    use toml::Value as V;
    Ok(match (kind(arg), value) {
        (Kind::Switch, V::Boolean(on)) => {
            if *on {
                vec![None]
            } else {
                Vec::new()
            }
        }
        (Kind::Switch, _) => bail!("must be true or false"),
        (Kind::Number, V::Integer(n)) => vec![Some(n.to_string())],
        (Kind::Number, _) => bail!("must be a whole number, without quotes"),
        (Kind::Text, V::String(s)) => vec![Some(s.clone())],
        (Kind::Text, _) => bail!("must be a string, in quotes"),
        (Kind::List, V::String(s)) => vec![Some(s.clone())],
        (Kind::List, V::Array(items)) => items
            .iter()
            .map(|item| match item {
                V::String(s) => Ok(Some(s.clone())),
                _ => Err(anyhow!("must be a list of strings")),
            })
            .collect::<anyhow::Result<_>>()?,
        (Kind::List, _) => bail!("must be a list of strings"),
    })
}

fn read_table(path: &Path, explicit: bool) -> anyhow::Result<Option<toml::Table>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let table = toml::from_str(&text)
                .map_err(|e| anyhow!("{} is not valid TOML: {}", path.display(), e.message()))?;
            Ok(Some(table))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(None),
        Err(e) => Err(anyhow!(
            "cannot read the configuration file {}: {e}",
            path.display()
        )),
    }
}

/// Refuses a `BOXOFFICE_*` variable no command declares: a misspelled one would otherwise be
/// ignored without a word.
fn check_environment(names: impl Iterator<Item = OsString>) -> anyhow::Result<()> {
    let mut known = BTreeSet::new();
    collect_variables(&Cli::command(), &mut known);
    // Not a setting: the crash tests' fault injection (`crate::fault`).
    known.insert(crate::fault::VARIABLE.to_string());
    for name in names {
        let name = name.to_string_lossy();
        if name.starts_with("BOXOFFICE_") && !known.contains(name.as_ref()) {
            let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
            bail!(
                "unknown setting {name} in the environment; did you mean {}? (`boxoffice \
                 config --example` lists every setting)",
                nearest(&name, &candidates)
            );
        }
    }
    Ok(())
}

fn collect_variables(command: &clap::Command, into: &mut BTreeSet<String>) {
    for arg in command.get_arguments() {
        if let Some(env) = arg.get_env() {
            into.insert(env.to_string_lossy().into_owned());
        }
    }
    for sub in command.get_subcommands() {
        collect_variables(sub, into);
    }
}

/// The candidate closest to `name` by edit distance.
fn nearest<'a>(name: &str, candidates: &[&'a str]) -> &'a str {
    candidates
        .iter()
        .min_by_key(|c| strsim::levenshtein(&name.to_ascii_lowercase(), &c.to_ascii_lowercase()))
        .copied()
        .unwrap_or_default()
}

/// `boxoffice config`: the effective settings as TOML, each with where it came from; secrets
/// masked.
pub fn render_effective(provenance: &Provenance) -> String {
    let mut out = String::from(
        "# The settings `boxoffice serve` would run with, given these flags, this environment and\n\
         # this directory, and where each comes from (flag, then BOXOFFICE_* variable, then the\n\
         # configuration file, then the default).\n\n",
    );
    for arg in settings() {
        let Some(setting) = provenance.0.iter().find(|s| s.key == key(&arg)) else {
            continue;
        };
        let origin = match &setting.origin {
            Origin::Default => "default".to_string(),
            Origin::File(path) => format!("file {}", path.display()),
            Origin::Environment(name) => format!("environment {name}"),
            Origin::Flag => "flag".to_string(),
            Origin::Unset => {
                let _ = writeln!(out, "# {} is not set", setting.key);
                continue;
            }
        };
        let values: Vec<String> = if is_secret(&arg) {
            setting.values.iter().map(|v| mask(v)).collect()
        } else {
            setting.values.clone()
        };
        let _ = writeln!(
            out,
            "{} = {}  # {origin}",
            setting.key,
            toml_value(&arg, &values)
        );
    }
    out
}

/// `boxoffice config --example`: every setting with its help and its default, commented out.
/// `boxoffice.example.toml` is this text (a test keeps them equal).
pub fn render_example() -> String {
    let mut out = String::from(
        "# boxoffice.toml: settings of `boxoffice serve`, read from the working directory (or the\n\
         # file named by --config / BOXOFFICE_CONFIG). A flag or a BOXOFFICE_* variable of the same\n\
         # name wins over the file. Every setting is listed with its default; uncomment to change.\n\
         # Generated by `boxoffice config --example`.\n",
    );
    for arg in settings() {
        out.push('\n');
        let help = arg
            .get_long_help()
            .or(arg.get_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        for line in wrap(&help, 96) {
            let _ = writeln!(out, "# {line}");
        }
        let env = arg
            .get_env()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(out, "# (flag --{}, variable {env})", key(&arg));
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if defaults.is_empty() {
            let _ = writeln!(out, "# {} =  (not set by default)", key(&arg));
        } else {
            let _ = writeln!(out, "# {} = {}", key(&arg), toml_value(&arg, &defaults));
        }
    }
    out
}

fn toml_value(arg: &Arg, values: &[String]) -> String {
    let text = |v: &String| toml::Value::String(v.clone()).to_string();
    match kind(arg) {
        Kind::Switch | Kind::Number => values.first().cloned().unwrap_or_default(),
        Kind::Text => values.first().map(text).unwrap_or_default(),
        Kind::List => format!(
            "[{}]",
            values.iter().map(text).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A secret for printing: the password of a URL hidden, any other secret hidden whole.
fn mask(value: &str) -> String {
    if let Some((scheme, rest)) = value.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
    {
        let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
        return format!("{scheme}://{user}:********@{host}");
    }
    if value.contains("://") {
        return value.to_string();
    }
    "********".to_string()
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_setting_has_a_variable_of_its_own_name() {
        for arg in settings() {
            let expected = format!("BOXOFFICE_{}", key(&arg).replace('-', "_").to_uppercase());
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            assert_eq!(env.as_deref(), Some(expected.as_str()), "--{}", key(&arg));
        }
    }

    #[test]
    fn the_example_file_lists_every_setting_as_declared() {
        let committed = include_str!("../../../../boxoffice.example.toml");
        assert!(
            committed == render_example(),
            "boxoffice.example.toml differs from the declaration in config.rs: regenerate it with \
             `cargo run -- config --example > boxoffice.example.toml`"
        );
    }

    #[test]
    fn a_misspelled_variable_names_the_nearest() {
        let err = check_environment(["BOXOFFICE_HOLD_MINUTS".into()].into_iter())
            .expect_err("unknown variable");
        assert!(
            err.to_string()
                .contains("did you mean BOXOFFICE_HOLD_MINUTES?"),
            "{err}"
        );
        check_environment(["BOXOFFICE_HOLD_MINUTES".into(), "HOME".into()].into_iter())
            .expect("known variables pass");
    }

    #[test]
    fn file_values_must_match_the_declared_kind() {
        let args = settings();
        let find = |k: &str| args.iter().find(|a| key(a) == k).expect("setting");
        let minutes = find("hold-minutes");
        assert_eq!(
            file_values(minutes, &toml::Value::Integer(5)).expect("number"),
            vec![Some("5".to_string())]
        );
        assert!(file_values(minutes, &toml::Value::String("5".into())).is_err());
        assert_eq!(
            file_values(find("no-demo"), &toml::Value::Boolean(true)).expect("switch"),
            vec![None]
        );
        let origins = toml::Value::Array(vec!["a".into(), "b".into()]);
        assert_eq!(
            file_values(find("cors-origin"), &origins)
                .expect("list")
                .len(),
            2
        );
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(
            mask("postgres://app:hunter2@db:5432/boxoffice"),
            "postgres://app:********@db:5432/boxoffice"
        );
        assert_eq!(mask("postgres://db/boxoffice"), "postgres://db/boxoffice");
        assert_eq!(mask("a-long-jwt-secret"), "********");
    }
}
