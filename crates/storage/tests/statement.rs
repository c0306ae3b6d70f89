//! `storage::Statement` on the backend the tests run on (`TEST_DATABASE`): every kind of value
//! binds and reads back the same through a transaction's connection and a reader's (on SQLite
//! both run in place); NULLs keep their type; lists bind as arrays or JSON text; rows map by
//! column name in any order, or by position.

use storage::{Backend, Statement};
use uuid::Uuid;

storage::row! {
    #[derive(Debug, Clone, PartialEq)]
    struct Sample {
        id: i64,
        n: Option<i64>,
        x: Option<f64>,
        flag: Option<bool>,
        label: Option<String>,
        ref_id: Option<Uuid>,
        bytes: Option<Vec<u8>>,
    }
}

fn create_table(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "create table statement_sample (id integer primary key, n integer, x real,
                flag boolean, label text, ref_id blob, bytes blob)"
        }
        Backend::Postgres => {
            "create table statement_sample (id bigint primary key, n bigint, x double precision,
                flag boolean, label text, ref_id uuid, bytes bytea)"
        }
    }
}

const INSERT: &str = "insert into statement_sample (id, n, x, flag, label, ref_id, bytes)
     values ($1, $2, $3, $4, $5, $6, $7)";

/// [`INSERT`] of `s`.
fn insert(s: &Sample) -> Statement<'_> {
    Statement::new(INSERT)
        .bind(s.id)
        .bind(s.n)
        .bind(s.x)
        .bind(s.flag)
        .bind(s.label.as_ref())
        .bind(s.ref_id)
        .bind(s.bytes.as_deref())
}

/// The columns in another order than the struct's fields: mapped by name all the same.
const SELECT: &str =
    "select bytes, ref_id, label, flag, x, n, id from statement_sample where id = $1";

#[tokio::test]
async fn every_value_binds_and_reads_back_on_every_connection() -> anyhow::Result<()> {
    let test = testkit::TestDatabase::open().await?;
    let db = &test.db;
    let mut tx = db.begin().await?;
    Statement::new(create_table(db.backend()))
        .execute(tx.conn())
        .await?;
    let full = Sample {
        id: 1,
        n: Some(-7),
        x: Some(2.5),
        flag: Some(true),
        label: Some("Grünfläche, \"A\"".into()),
        ref_id: Some(Uuid::now_v7()),
        bytes: Some(vec![0, 1, 255]),
    };
    let empty = Sample {
        id: 2,
        n: None,
        x: None,
        flag: None,
        label: None,
        ref_id: None,
        bytes: None,
    };
    for s in [&full, &empty] {
        let written = insert(s).execute(tx.conn()).await?;
        assert_eq!(written, 1);
    }
    tx.commit().await?;

    let mut reader = db.read().await?;
    for s in [&full, &empty] {
        let read: Option<Sample> = Statement::new(SELECT)
            .bind(s.id)
            .fetch_optional(reader.conn())
            .await?;
        assert_eq!(read.as_ref(), Some(s), "through a reader");
    }
    let missing: Option<Sample> = Statement::new(SELECT)
        .bind(3_i64)
        .fetch_optional(reader.conn())
        .await?;
    assert!(missing.is_none());

    // A list binds as an array on PostgreSQL and as JSON text on SQLite.
    let in_list = match db.backend() {
        Backend::Sqlite => {
            "select id from statement_sample where id in (select value from json_each($1)) order by id"
        }
        Backend::Postgres => "select id from statement_sample where id = any($1) order by id",
    };
    let ids: &[i64] = &[2, 1, 9];
    let found: Vec<(i64,)> = Statement::new(in_list)
        .bind(ids)
        .fetch_all(reader.conn())
        .await?;
    assert_eq!(found, vec![(1,), (2,)]);
    let (count, label): (i64, Option<String>) =
        Statement::new("select count(*), max(label) from statement_sample")
            .fetch_one(reader.conn())
            .await?;
    assert_eq!((count, label), (2, full.label.clone()));
    drop(reader);
    Ok(())
}
