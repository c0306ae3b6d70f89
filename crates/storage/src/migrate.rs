//! The SQLite migrations, applied through the one SQLite driver (rusqlite) and recorded in
//! the table sqlx's migrator keeps (`_sqlx_migrations`): a database written by an earlier
//! build, whose migrations sqlx applied, goes on from where it is. The migration files are
//! embedded at compile time by `sqlx::migrate!` (`build.rs` reruns it when one is added); their
//! checksums (SHA-384 of the text) are sqlx's.

use crate::sqlx;
use std::time::Instant;

/// The record of applied migrations, as sqlx creates it.
const CREATE_TABLE: &str = "create table if not exists _sqlx_migrations (
    version bigint primary key,
    description text not null,
    installed_on timestamp not null default current_timestamp,
    success boolean not null,
    checksum blob not null,
    execution_time bigint not null
)";

/// Applies the migrations of `migrator` that `conn`'s database has not run yet, each in a
/// transaction of its own with its record.
///
/// # Errors
/// When a recorded migration failed half-way before, was changed since it ran (its checksum),
/// or when a migration fails now (then it is not recorded, and nothing of it kept).
pub(crate) fn sqlite(
    conn: &mut rusqlite::Connection,
    migrator: &sqlx::migrate::Migrator,
) -> Result<(), crate::Error> {
    conn.execute_batch(CREATE_TABLE)?;
    let applied: Vec<(i64, bool, Vec<u8>)> = {
        let mut stmt = conn
            .prepare("select version, success, checksum from _sqlx_migrations order by version")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    if let Some((version, ..)) = applied.iter().find(|(_, success, _)| !success) {
        return Err(crate::Error::unsupported(&format!(
            "migration {version} failed part-way earlier; the database needs repair by hand"
        )));
    }
    for migration in migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
    {
        match applied.iter().find(|(v, ..)| *v == migration.version) {
            Some((_, _, checksum)) if checksum.as_slice() != &*migration.checksum => {
                return Err(crate::Error::unsupported(&format!(
                    "migration {} was changed after it was applied",
                    migration.version
                )));
            }
            Some(_) => {}
            None => apply(conn, migration)?,
        }
    }
    Ok(())
}

fn apply(
    conn: &mut rusqlite::Connection,
    migration: &sqlx::migrate::Migration,
) -> Result<(), crate::Error> {
    let started = Instant::now();
    let tx = conn.transaction()?;
    tx.execute_batch(migration.sql.as_str())?;
    tx.execute(
        "insert into _sqlx_migrations (version, description, success, checksum, execution_time)
         values (?1, ?2, true, ?3, ?4)",
        rusqlite::params![
            migration.version,
            &*migration.description,
            &*migration.checksum,
            i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX),
        ],
    )?;
    tx.commit()?;
    tracing::info!(version = migration.version, description = %migration.description, "applied a migration");
    Ok(())
}
