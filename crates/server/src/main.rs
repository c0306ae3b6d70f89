//! The `boxoffice` command (its body is `server::cli`).

fn main() -> std::process::ExitCode {
    server::cli::main()
}
