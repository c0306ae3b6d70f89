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

#[cfg(test)]
mod tests {
    use super::push_record;

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
}
