//! A statement written once — its SQL, its values, how its rows map — and run on the
//! [`Conn`] the caller holds, of either engine: on SQLite in place on the caller's thread
//! (rusqlite), on PostgreSQL through sqlx's driver.
//!
//! A store builds each [`Statement`] in one function; nothing about it depends on the engine
//! but the few statements whose SQL differs (`Conn::backend`). Rows map by column name
//! ([`row!`](crate::row)) or by position for tuples (a single column is a one-tuple).
//!
//! Values keep the types both engines store: ids are UUIDs (16-byte BLOB on SQLite, `uuid` on
//! PostgreSQL), flags booleans (0/1 on SQLite), timestamps integer microseconds.

use crate::sqlx;
use std::borrow::Cow;

use sqlx::Row as _;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use crate::Conn;

/// The type of a NULL (PostgreSQL types every parameter, a NULL too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An integer.
    Int,
    /// A floating-point number.
    Real,
    /// A flag.
    Bool,
    /// Text.
    Text,
    /// A UUID.
    Uuid,
    /// Bytes.
    Blob,
}

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// NULL of a type.
    Null(Kind),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// A flag.
    Bool(bool),
    /// Text.
    Text(&'a str),
    /// A UUID.
    Uuid(Uuid),
    /// Bytes.
    Blob(&'a [u8]),
    /// A list of integers: an array on PostgreSQL (`= any($n)`), JSON text on SQLite
    /// (`in (select value from json_each($n))`).
    Ints(&'a [i64]),
}

impl<'a> From<&'a [i64]> for Value<'a> {
    fn from(v: &'a [i64]) -> Self {
        Value::Ints(v)
    }
}

/// A list as JSON text, for SQLite's `json_each`.
fn ints_json(v: &[i64]) -> String {
    let mut out = String::with_capacity(v.len() * 8 + 2);
    out.push('[');
    for (i, n) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&n.to_string());
    }
    out.push(']');
    out
}

/// A Rust type with the [`Kind`] of its NULL, for `Option`s of it.
pub trait Typed {
    /// Its kind.
    const KIND: Kind;
}

macro_rules! value_from {
    ($($ty:ty => $kind:ident, $v:ident => $make:expr;)*) => {
        $(
            impl<'a> From<$ty> for Value<'a> {
                fn from($v: $ty) -> Self {
                    $make
                }
            }
            impl<'a> Typed for $ty {
                const KIND: Kind = Kind::$kind;
            }
        )*
    };
}

value_from! {
    i64 => Int, v => Value::Int(v);
    i32 => Int, v => Value::Int(i64::from(v));
    u32 => Int, v => Value::Int(i64::from(v));
    f64 => Real, v => Value::Real(v);
    bool => Bool, v => Value::Bool(v);
    Uuid => Uuid, v => Value::Uuid(v);
    &'a str => Text, v => Value::Text(v);
    &'a String => Text, v => Value::Text(v.as_str());
    &'a [u8] => Blob, v => Value::Blob(v);
}

/// Copy values by reference, as sqlx's `bind(&x)` took them.
macro_rules! value_from_ref {
    ($($ty:ty),*) => {$(
        impl<'a> From<&'a $ty> for Value<'a> {
            fn from(v: &'a $ty) -> Self {
                (*v).into()
            }
        }
        impl<'a> Typed for &'a $ty {
            const KIND: Kind = <$ty as Typed>::KIND;
        }
    )*};
}

value_from_ref!(i64, i32, f64, bool, Uuid);

impl<'a> From<&'a Vec<u8>> for Value<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Value::Blob(v)
    }
}

impl<'a, T> From<&'a Option<T>> for Value<'a>
where
    &'a T: Into<Value<'a>> + Typed,
{
    fn from(v: &'a Option<T>) -> Self {
        v.as_ref().into()
    }
}

impl<'a, T: Into<Value<'a>> + Typed> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null(T::KIND), Into::into)
    }
}

/// Where a column is in a row: its name or its position.
#[derive(Debug, Clone, Copy)]
pub enum At<'n> {
    /// By position.
    Pos(usize),
    /// By name.
    Name(&'n str),
    /// By name, probably at this position (a [`row!`](crate::row) field's place in its struct,
    /// which is where a `select` of the struct's columns in order puts it). On a rusqlite row
    /// the guess costs one comparison; looking a name up scans the row's column names, each a
    /// call into SQLite, which on the purchase path's rows came to a few per cent of its CPU.
    Hinted(&'n str, usize),
}

impl From<usize> for At<'_> {
    fn from(i: usize) -> Self {
        Self::Pos(i)
    }
}

impl<'n> From<&'n str> for At<'n> {
    fn from(name: &'n str) -> Self {
        Self::Name(name)
    }
}

/// One column of a row, read from either engine's row.
pub trait Column: Sized {
    /// From a PostgreSQL row.
    ///
    /// # Errors
    /// When the column is missing or of another type.
    fn from_pg(row: &PgRow, at: At<'_>) -> Result<Self, sqlx::Error>;
    /// From a rusqlite row.
    ///
    /// # Errors
    /// When the column is missing or of another type.
    fn from_sqlite(row: &rusqlite::Row<'_>, at: At<'_>) -> rusqlite::Result<Self>;
}

/// `at`'s position in a rusqlite row.
fn sqlite_position(row: &rusqlite::Row<'_>, at: At<'_>) -> rusqlite::Result<usize> {
    match at {
        At::Pos(i) => Ok(i),
        At::Hinted(name, i) if row.as_ref().column_name(i).is_ok_and(|n| n == name) => Ok(i),
        At::Name(name) | At::Hinted(name, _) => row.as_ref().column_index(name),
    }
}

/// Reads a column of a PostgreSQL row.
macro_rules! sqlx_get {
    ($row:expr, $at:expr) => {
        match $at {
            At::Pos(i) => $row.try_get(i),
            At::Name(name) | At::Hinted(name, _) => $row.try_get(name),
        }
    };
}

/// Columns that every engine decodes as they are (sqlx's types, rusqlite's `FromSql`).
macro_rules! plain_column {
    ($($ty:ty),*) => {$(
        impl Column for $ty {
            fn from_pg(row: &PgRow, at: At<'_>) -> Result<Self, sqlx::Error> {
                sqlx_get!(row, at)
            }
            fn from_sqlite(row: &rusqlite::Row<'_>, at: At<'_>) -> rusqlite::Result<Self> {
                row.get(sqlite_position(row, at)?)
            }
        }
    )*};
}

plain_column!(
    i64,
    i32,
    f64,
    bool,
    String,
    Vec<u8>,
    Option<i64>,
    Option<i32>,
    Option<f64>,
    Option<bool>,
    Option<String>,
    Option<Vec<u8>>
);

impl Column for Uuid {
    fn from_pg(row: &PgRow, at: At<'_>) -> Result<Self, sqlx::Error> {
        sqlx_get!(row, at)
    }
    fn from_sqlite(row: &rusqlite::Row<'_>, at: At<'_>) -> rusqlite::Result<Self> {
        crate::sqlite::uuid_at(row, sqlite_position(row, at)?)
    }
}

impl Column for Option<Uuid> {
    fn from_pg(row: &PgRow, at: At<'_>) -> Result<Self, sqlx::Error> {
        sqlx_get!(row, at)
    }
    fn from_sqlite(row: &rusqlite::Row<'_>, at: At<'_>) -> rusqlite::Result<Self> {
        let i = sqlite_position(row, at)?;
        match row.get_ref(i)? {
            rusqlite::types::ValueRef::Null => Ok(None),
            _ => crate::sqlite::uuid_at(row, i).map(Some),
        }
    }
}

/// A row of either engine, as [`FromRow`] reads it.
pub enum Row<'r, 's> {
    /// PostgreSQL.
    Pg(&'r PgRow),
    /// SQLite (rusqlite).
    Sqlite(&'r rusqlite::Row<'s>),
}

/// Why a row did not map.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// From PostgreSQL's driver (sqlx).
    #[error(transparent)]
    Postgres(#[from] sqlx::Error),
    /// From SQLite's driver (rusqlite).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl From<RowError> for rusqlite::Error {
    fn from(e: RowError) -> Self {
        match e {
            RowError::Sqlite(e) => e,
            RowError::Postgres(e) => rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        }
    }
}

impl Row<'_, '_> {
    /// The column `column` (a name or a position).
    ///
    /// # Errors
    /// When it is missing or of another type.
    pub fn get<'n, T: Column>(&self, at: impl Into<At<'n>>) -> Result<T, RowError> {
        let at = at.into();
        Ok(match self {
            Self::Pg(r) => T::from_pg(r, at)?,
            Self::Sqlite(r) => T::from_sqlite(r, at)?,
        })
    }
}

/// A type a row maps to: a [`row!`](crate::row) struct (by column name), a tuple (by position).
pub trait FromRow: Sized {
    /// Maps `row`.
    ///
    /// # Errors
    /// When a column is missing or of another type.
    fn from_row(row: &Row<'_, '_>) -> Result<Self, RowError>;
}

macro_rules! tuple_from_row {
    ($(($($t:ident $i:tt),*)),*) => {$(
        impl<$($t: Column),*> FromRow for ($($t,)*) {
            fn from_row(row: &Row<'_, '_>) -> Result<Self, RowError> {
                Ok(($(row.get::<$t>($i)?,)*))
            }
        }
    )*};
}

tuple_from_row!(
    (A 0),
    (A 0, B 1),
    (A 0, B 1, C 2),
    (A 0, B 1, C 2, D 3),
    (A 0, B 1, C 2, D 3, E 4)
);

/// A struct whose fields are read from the row's columns of the same names.
///
/// ```ignore
/// storage::row! {
///     struct HoldRow { reservation_id: Uuid, expires_at: i64 }
/// }
/// ```
#[macro_export]
macro_rules! row {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($fvis:vis $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        $vis struct $name { $($fvis $field: $ty),* }

        impl $crate::FromRow for $name {
            fn from_row(row: &$crate::Row<'_, '_>) -> Result<Self, $crate::RowError> {
                // Each field's place in the struct is the hint of where its column is.
                let mut at = 0_usize;
                let mut next = |name: &'static str| {
                    at += 1;
                    $crate::At::Hinted(name, at - 1)
                };
                Ok(Self { $($field: row.get(next(stringify!($field)))?),* })
            }
        }
    };
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        if let Value::Ints(v) = self {
            return Ok(ToSqlOutput::Owned(rusqlite::types::Value::Text(ints_json(
                v,
            ))));
        }
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null(_) => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Real(v) => ValueRef::Real(*v),
            Value::Bool(v) => ValueRef::Integer(i64::from(*v)),
            Value::Text(v) => ValueRef::Text(v.as_bytes()),
            Value::Uuid(v) => ValueRef::Blob(v.as_bytes()),
            Value::Blob(v) => ValueRef::Blob(v),
            Value::Ints(_) => ValueRef::Null,
        }))
    }
}

/// One statement and its values, ready to run on either engine.
#[derive(Debug, Clone)]
pub struct Statement<'a> {
    sql: Cow<'static, str>,
    values: Vec<Value<'a>>,
}

/// Binds `values` in order to a sqlx query of either engine.
macro_rules! bind_values {
    ($query:expr, $values:expr, |$ints:ident| $bind_ints:expr) => {{
        let mut q = $query;
        for value in $values {
            q = match *value {
                Value::Null(Kind::Int) => q.bind(None::<i64>),
                Value::Null(Kind::Real) => q.bind(None::<f64>),
                Value::Null(Kind::Bool) => q.bind(None::<bool>),
                Value::Null(Kind::Text) => q.bind(None::<&str>),
                Value::Null(Kind::Uuid) => q.bind(None::<Uuid>),
                Value::Null(Kind::Blob) => q.bind(None::<&[u8]>),
                Value::Int(v) => q.bind(v),
                Value::Real(v) => q.bind(v),
                Value::Bool(v) => q.bind(v),
                Value::Text(v) => q.bind(v),
                Value::Uuid(v) => q.bind(v),
                Value::Blob(v) => q.bind(v),
                Value::Ints($ints) => q.bind($bind_ints),
            };
        }
        q
    }};
}

/// The statement as a PostgreSQL query with its values bound.
macro_rules! pg_query {
    ($self:ident) => {
        bind_values!(
            sqlx::query(sqlx::AssertSqlSafe($self.sql.clone())),
            &$self.values,
            |v| v
        )
    };
}

impl<'a> Statement<'a> {
    /// A statement of `sql` (`$n` placeholders) with no values yet.
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Self {
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// Binds the next placeholder (`$1`, then `$2`, …).
    #[must_use]
    pub fn bind(mut self, value: impl Into<Value<'a>>) -> Self {
        self.values.push(value.into());
        self
    }

    /// Runs it; the number of rows it changed.
    ///
    /// # Errors
    /// When the statement fails.
    pub async fn execute(&self, conn: Conn<'_>) -> Result<u64, crate::Error> {
        match conn {
            Conn::Sqlite(c) => Ok(self.execute_sqlite(c)?),
            Conn::Postgres(c) => Ok(pg_query!(self).execute(c).await?.rows_affected()),
        }
    }

    /// Runs it as a write of its own, outside any transaction (bookkeeping that needs no
    /// ordering with other writers: delivery marks, retries, expired keys); the rows it
    /// changed.
    ///
    /// # Errors
    /// When no connection can be had or the statement fails.
    pub async fn execute_alone(&self, db: &crate::Database) -> Result<u64, crate::Error> {
        if let Some(mut conn) = db.write_alone().await? {
            return self.execute(conn.conn()).await;
        }
        let mut tx = db.begin().await?;
        let changed = self.execute(tx.conn()).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Runs it for at most one row.
    ///
    /// # Errors
    /// When the statement fails or the row does not map.
    pub async fn fetch_optional<R: FromRow>(
        &self,
        conn: Conn<'_>,
    ) -> Result<Option<R>, crate::Error> {
        match conn {
            Conn::Sqlite(c) => Ok(self.fetch_optional_sqlite(c)?),
            Conn::Postgres(c) => match pg_query!(self).fetch_optional(c).await? {
                Some(r) => Ok(Some(R::from_row(&Row::Pg(&r))?)),
                None => Ok(None),
            },
        }
    }

    /// Runs it for exactly one row.
    ///
    /// # Errors
    /// When the statement fails, returns no row, or the row does not map.
    pub async fn fetch_one<R: FromRow>(&self, conn: Conn<'_>) -> Result<R, crate::Error> {
        self.fetch_optional(conn)
            .await?
            .ok_or_else(crate::Error::no_row)
    }

    /// Runs it for every row.
    ///
    /// # Errors
    /// When the statement fails or a row does not map.
    pub async fn fetch_all<R: FromRow>(&self, conn: Conn<'_>) -> Result<Vec<R>, crate::Error> {
        match conn {
            Conn::Sqlite(c) => Ok(self.fetch_all_sqlite(c)?),
            Conn::Postgres(c) => {
                // Each row is mapped as it arrives and its driver copy dropped: collecting the
                // driver's rows first held a batch twice at its peak (the relay's batches).
                let query = pg_query!(self);
                let mut rows = query.fetch(c);
                let mut out = Vec::new();
                while let Some(r) = futures::TryStreamExt::try_next(&mut rows).await? {
                    out.push(R::from_row(&Row::Pg(&r))?);
                }
                Ok(out)
            }
        }
    }

    /// Runs it on a rusqlite connection, in place; the rows it changed.
    ///
    /// # Errors
    /// When the statement fails.
    pub(crate) fn execute_sqlite(&self, c: &rusqlite::Connection) -> rusqlite::Result<u64> {
        crate::sqlite::execute(c, &self.sql, &self.values).map(|n| n as u64)
    }

    /// [`Statement::fetch_optional`] in place.
    ///
    /// # Errors
    /// When the statement fails or the row does not map.
    pub(crate) fn fetch_optional_sqlite<R: FromRow>(
        &self,
        c: &rusqlite::Connection,
    ) -> rusqlite::Result<Option<R>> {
        crate::sqlite::query_optional(c, &self.sql, &self.values, |r| {
            Ok(R::from_row(&Row::Sqlite(r))?)
        })
    }

    /// [`Statement::fetch_all`] in place.
    ///
    /// # Errors
    /// When the statement fails or a row does not map.
    pub(crate) fn fetch_all_sqlite<R: FromRow>(
        &self,
        c: &rusqlite::Connection,
    ) -> rusqlite::Result<Vec<R>> {
        crate::sqlite::query(c, &self.sql, &self.values, |r| {
            Ok(R::from_row(&Row::Sqlite(r))?)
        })
    }
}
