//! Embeds the migration files (`migrations/sqlite`, `migrations/postgres`) in the binary: writes
//! a list of `(version, description, include_str!(file))` per engine, named as sqlx names them
//! (`0001_outbox.sql` is version 1, "outbox"). Reruns when a migration is added or changed, so
//! the binary never silently misses one.

use std::path::Path;

fn main() {
    // Read when the script runs, not when it was compiled: a build script compiled in one
    // checkout and run for another (a shared target directory) reads the other's migrations.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("../../migrations");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut out = String::new();
    for (name, dir) in [("SQLITE", "sqlite"), ("POSTGRES", "postgres")] {
        let dir = root.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .collect();
        files.sort();
        out.push_str(&format!(
            "pub(crate) const {name}: &[(i64, &str, &str)] = &[\n"
        ));
        for file in files {
            let stem = file
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a UTF-8 name");
            let (version, description) = stem
                .split_once('_')
                .unwrap_or_else(|| panic!("{stem}: expected <version>_<description>.sql"));
            let version: i64 = version
                .parse()
                .unwrap_or_else(|_| panic!("{stem}: the version is not a number"));
            let description = description.replace('_', " ");
            let path = file.canonicalize().expect("the migration's path");
            out.push_str(&format!(
                "    ({version}, {description:?}, include_str!({:?})),\n",
                path.display().to_string()
            ));
        }
        out.push_str("];\n");
    }
    let target = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("migrations.rs");
    std::fs::write(target, out).expect("writing the migration list");
}
