//! The sales dashboard's charts, drawn on the server as SVG (no chart library, nothing to load).

use chrono::{DateTime, Utc};
use std::fmt::Write;

use ordering::Sale;

const W: f64 = 640.0;
const H: f64 = 220.0;
const PAD: f64 = 36.0;

/// Seats sold over time: a cumulative step line from the first sale to `now`.
pub(crate) fn sales_over_time(sales: &[Sale], now: DateTime<Utc>) -> String {
    let mut svg = open(W, H, "Seats sold over time, refunds taken off");
    let Some(first) = sales.first() else {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" class="muted" text-anchor="middle">No sales yet</text></svg>"#,
            W / 2.0,
            H / 2.0
        );
        return svg;
    };
    // Each sale a step up when it was paid, each refund a step down when it was refunded.
    let mut steps: Vec<(DateTime<Utc>, f64)> = sales
        .iter()
        .map(|s| (s.paid_at, 1.0))
        .chain(
            sales
                .iter()
                .filter_map(|s| s.refunded_at.map(|at| (at, -1.0))),
        )
        .collect();
    steps.sort_by_key(|(at, _)| *at);
    let refunded = sales.iter().filter(|s| s.refunded_at.is_some()).count();
    let start = first.paid_at.timestamp_millis() as f64;
    let end = (now.timestamp_millis() as f64).max(start + 60_000.0);
    let total = sales.len() as f64;
    let x = |t: f64| PAD + (t - start) / (end - start) * (W - 2.0 * PAD);
    let y = |n: f64| H - PAD - n / total * (H - 2.0 * PAD);
    let mut d = format!("M{:.1} {:.1}", x(start), y(0.0));
    let mut held = 0.0;
    for (at, step) in steps {
        held += step;
        let _ = write!(d, "H{:.1}V{:.1}", x(at.timestamp_millis() as f64), y(held));
    }
    let _ = write!(d, "H{:.1}", x(end));
    axes(&mut svg);
    let refunds = if refunded > 0 {
        format!(" · {refunded} refunded")
    } else {
        String::new()
    };
    let _ = write!(
        svg,
        r#"<path d="{d}" class="line"/><text x="{PAD}" y="{:.0}" class="muted">{}</text><text x="{:.0}" y="{:.0}" class="muted" text-anchor="end">now</text><text x="{:.0}" y="{:.0}" class="muted">{} sold{refunds}</text></svg>"#,
        H - 12.0,
        first.paid_at.format("%d %b %H:%M"),
        W - PAD,
        H - 12.0,
        PAD + 4.0,
        PAD - 8.0,
        sales.len() - refunded
    );
    svg
}

/// One bar per section: sold, held and free seats side by side as parts of the section.
pub(crate) fn sections(rows: &[(String, i64, i64, i64)]) -> String {
    let bar = 22.0;
    let height = PAD + rows.len() as f64 * (bar + 12.0) + 10.0;
    let mut svg = open(W, height, "Seats per section");
    for (i, (code, sold, held, total)) in rows.iter().enumerate() {
        let top = 10.0 + i as f64 * (bar + 12.0);
        let full = W - 2.0 * PAD - 100.0;
        let part = |n: i64| {
            if *total > 0 {
                n as f64 / *total as f64 * full
            } else {
                0.0
            }
        };
        let left = PAD + 50.0;
        let _ = write!(
            svg,
            r#"<text x="{PAD}" y="{:.0}" class="label">{}</text><rect x="{left}" y="{top}" width="{full:.1}" height="{bar}" class="free"/><rect x="{left}" y="{top}" width="{:.1}" height="{bar}" class="sold"/><rect x="{:.1}" y="{top}" width="{:.1}" height="{bar}" class="held"/><text x="{:.0}" y="{:.0}" class="label">{sold}/{total}</text>"#,
            top + 16.0,
            escape(code),
            part(*sold),
            left + part(*sold),
            part(*held),
            left + full + 8.0,
            top + 16.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

fn open(w: f64, h: f64, title: &str) -> String {
    format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{title}"><title>{title}</title>"#
    )
}

fn axes(svg: &mut String) {
    let _ = write!(
        svg,
        r#"<path d="M{PAD} {PAD}V{b}H{r}" class="axis"/>"#,
        b = H - PAD,
        r = W - PAD
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::Money;

    #[test]
    fn the_line_climbs_once_per_sale() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .expect("date")
            .with_timezone(&Utc);
        let sale = |m: i64| Sale {
            paid_at: t + chrono::Duration::minutes(m),
            section_code: "A".into(),
            price: Money::from_cents(5000),
            refunded_at: None,
        };
        let svg = sales_over_time(&[sale(0), sale(5)], t + chrono::Duration::minutes(10));
        let line = svg
            .split("<path ")
            .find(|p| p.contains("class=\"line\""))
            .unwrap_or_default();
        assert_eq!(line.matches('V').count(), 2, "one step per sale: {svg}");
        assert!(svg.contains("2 sold"));
        assert!(sales_over_time(&[], t).contains("No sales yet"));
    }

    #[test]
    fn a_refund_takes_a_step_down_when_it_happened() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .expect("date")
            .with_timezone(&Utc);
        let sale = |m: i64, refunded: Option<i64>| Sale {
            paid_at: t + chrono::Duration::minutes(m),
            section_code: "A".into(),
            price: Money::from_cents(5000),
            refunded_at: refunded.map(|r| t + chrono::Duration::minutes(r)),
        };
        let svg = sales_over_time(
            &[sale(0, Some(8)), sale(5, None)],
            t + chrono::Duration::minutes(10),
        );
        let line = svg
            .split("<path ")
            .find(|p| p.contains("class=\"line\""))
            .unwrap_or_default();
        assert_eq!(line.matches('V').count(), 3, "two sales, one refund: {svg}");
        assert!(svg.contains("1 sold · 1 refunded"), "{svg}");
    }

    #[test]
    fn section_names_are_escaped() {
        assert!(sections(&[("<b>".into(), 1, 0, 2)]).contains("&lt;b&gt;"));
    }
}
