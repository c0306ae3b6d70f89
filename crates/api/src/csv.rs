//! CSV downloads as spreadsheet programs open them: RFC 4180 (fields quoted when they hold a
//! comma, a quote or a line break; quotes doubled; CRLF line ends), UTF-8 with a byte-order
//! mark (without it, Excel reads UTF-8 as the local code page and garbles names), and formula
//! injection neutralised: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
//! would be run as a formula by a spreadsheet program, so it is prefixed with an apostrophe,
//! which the program shows as text and does not display (OWASP's advice).
//!
//! The body is streamed: a producer yields one chunk of rows at a time, so a download of any
//! size holds one chunk in memory.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::Stream;
use std::future::Future;

/// The byte-order mark a download starts with.
pub const BOM: &str = "\u{feff}";

/// Appends one record of `cells` to `out`, quoted and neutralised as the module says.
pub fn push_record<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, cell.as_ref());
    }
    out.push_str("\r\n");
}

fn push_cell(out: &mut String, cell: &str) {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = formula || cell.contains([',', '"', '\n', '\r']);
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quoted {
        out.push('"');
    }
}

/// A download named `filename` whose body is the chunks `chunks` yields (the first should
/// start with [`BOM`] and the header record). A failure mid-way ends the body early, which the
/// client sees as a broken download rather than as a complete file.
pub fn download<S>(filename: &str, chunks: S) -> Response
where
    S: Stream<Item = Result<String, std::io::Error>> + Send + 'static,
{
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// A time as exports write it: UTC, ISO 8601, to the second (`2026-12-07T20:00:00Z`).
pub fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Rows of a paged download read per database round trip (and held in memory at once).
pub const PAGE: i64 = 1_000;

/// A download of records read page by page by keyset: `fetch(after, PAGE)` answers the items
/// after the key `after` in key order (the first call gets `start`), `key` is an item's key and
/// `record` its cells under `header`. A full page is followed by another fetch, a short one ends
/// the file. Memory holds one page whatever the size of the whole.
pub fn paged_download<T, K, F, Fut, E>(
    filename: &str,
    header: &'static [&'static str],
    start: K,
    fetch: F,
    key: fn(&T) -> K,
    record: fn(&T) -> Vec<String>,
) -> Response
where
    T: Send + 'static,
    K: Send + 'static,
    F: Fn(K, i64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<T>, E>> + Send,
    E: std::error::Error + Send + Sync + 'static,
{
    let fetch = std::sync::Arc::new(fetch);
    let pages = futures::stream::try_unfold((Some(start), true), move |(after, first)| {
        let fetch = fetch.clone();
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let items = fetch(after, PAGE).await.map_err(std::io::Error::other)?;
            let mut chunk = String::new();
            if first {
                chunk.push_str(BOM);
                push_record(&mut chunk, header);
            }
            for item in &items {
                push_record(&mut chunk, &record(item));
            }
            let next = (items.len() as i64 == PAGE)
                .then(|| items.last().map(key))
                .flatten();
            Ok(Some((chunk, (next, false))))
        }
    });
    download(filename, pages)
}

#[cfg(test)]
mod tests {
    use super::{PAGE, paged_download, push_record};

    fn record(cells: &[&str]) -> String {
        let mut out = String::new();
        push_record(&mut out, cells);
        out
    }

    #[test]
    fn plain_cells_are_left_as_they_are() {
        assert_eq!(
            record(&["a", "Zoë Ødegaard", "12.50"]),
            "a,Zoë Ødegaard,12.50\r\n"
        );
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(
            record(&["Smith, Jo", "say \"hi\"", "two\nlines"]),
            "\"Smith, Jo\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralised() {
        for formula in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            let out = record(&[formula]);
            assert!(out.starts_with("\"'"), "{formula:?} became {out:?}");
        }
        assert_eq!(
            record(&["=HYPERLINK(\"x\")"]),
            "\"'=HYPERLINK(\"\"x\"\")\"\r\n"
        );
    }

    /// Every item once, in order, across full pages and a short last one; an exact multiple of
    /// the page size ends with an empty page; nothing at all is a header alone.
    #[tokio::test]
    async fn a_paged_download_holds_every_item_once_in_order() -> anyhow::Result<()> {
        for total in [0, 1, PAGE, 2 * PAGE + 7] {
            let items: Vec<i64> = (1..=total).collect();
            let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let seen = calls.clone();
            let response = paged_download(
                "n.csv",
                &["n"],
                0_i64,
                move |after: i64, limit: i64| {
                    seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let page: Vec<i64> = items
                        .iter()
                        .copied()
                        .filter(|n| *n > after)
                        .take(usize::try_from(limit).unwrap_or(0))
                        .collect();
                    async move { Ok::<_, std::io::Error>(page) }
                },
                |n: &i64| *n,
                |n: &i64| vec![n.to_string()],
            );
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            let text = String::from_utf8(body.to_vec())?;
            let text = text.strip_prefix(super::BOM).expect("a BOM");
            let expected: String = std::iter::once("n".to_string())
                .chain((1..=total).map(|n| n.to_string()))
                .map(|line| line + "\r\n")
                .collect();
            assert_eq!(text, expected, "{total} items");
            let pages = usize::try_from(total / PAGE + 1)?;
            assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), pages);
        }
        Ok(())
    }
}
