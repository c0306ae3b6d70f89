//! The programs some tests need besides the Rust toolchain, and the one line a test fails with
//! when one is missing. `scripts/test.sh` installs every one of them; a plain `cargo nextest run`
//! runs without them, and each test that needs one fails saying which and how to get it (never a
//! silent skip).

use anyhow::bail;
use std::path::{Path, PathBuf};

/// The command that installs everything the tests need (and then runs them all).
pub const INSTALL: &str = "bash scripts/test.sh";

/// Where a tool comes from, for the message.
fn origin(program: &str) -> &'static str {
    match program {
        "chromium" => "Debian package chromium",
        "chromedriver" => "Debian package chromium-driver",
        "psql" => "Debian package postgresql-client",
        "initdb" | "pg_ctl" => "Debian package postgresql",
        "pdftotext" | "pdftoppm" => "Debian package poppler-utils",
        "zbarimg" => "Debian package zbar-tools",
        "node" => "Debian package nodejs",
        "jq" => "Debian package jq",
        "curl" => "Debian package curl",
        "tansu" => "crates.io, cargo install tansu --version 0.6.0 --features dynostore",
        "aiosmtpd" | "schemathesis" => "PyPI, in the repository's .venv",
        "axe-core" => "npm, `npm ci` in tests/a11y",
        _ => "your distribution",
    }
}

/// The path of `program` (a name looked up on the `PATH`, or a path), or the one-line error a
/// test should fail with.
///
/// # Errors
/// When the program is not there.
pub fn require(program: &str) -> anyhow::Result<PathBuf> {
    let name = Path::new(program)
        .file_name()
        .map_or_else(|| program.to_string(), |n| n.to_string_lossy().into_owned());
    let found = if program.contains('/') {
        Some(PathBuf::from(program)).filter(|p| p.is_file())
    } else {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(program))
                .find(|p| p.is_file())
        })
    };
    match found {
        Some(path) => Ok(path),
        None => missing(&name, program),
    }
}

/// The one-line failure for a missing `name` (looked for as `looked_for`).
///
/// # Errors
/// Always.
pub fn missing<T>(name: &str, looked_for: &str) -> anyhow::Result<T> {
    bail!(
        "this test needs {name} ({}), not found as {looked_for}: run `{INSTALL}` to install \
         what the tests need",
        origin(name)
    )
}

/// A program of the repository's Python virtualenv (`.venv`, made by `scripts/test.sh`).
///
/// # Errors
/// When the virtualenv or the program is missing; `package` names what provides it.
pub fn venv_program(program: &str, package: &str) -> anyhow::Result<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.venv/bin")
        .join(program);
    if path.is_file() {
        Ok(path)
    } else {
        missing(package, &path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_fails_in_one_line_naming_it_and_the_install_command() {
        let err = require("zbarimg-that-is-not-there").expect_err("not installed");
        let message = err.to_string();
        assert!(message.contains("zbarimg-that-is-not-there"), "{message}");
        assert!(message.contains(INSTALL), "{message}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(require("sh").is_ok(), "a program on the PATH is found");
    }
}
