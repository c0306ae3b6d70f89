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

/// A section's seats for [`sections`]: its code, then sold, held, held back and in all.
pub(crate) struct SectionBar {
    pub(crate) code: String,
    pub(crate) sold: i64,
    pub(crate) held: i64,
    pub(crate) held_back: i64,
    pub(crate) total: i64,
}

/// One bar per section: sold, held, held-back and free seats side by side as parts of it.
pub(crate) fn sections(rows: &[SectionBar]) -> String {
    let bar = 22.0;
    let height = PAD + rows.len() as f64 * (bar + 12.0) + 10.0;
    let mut svg = open(
        W,
        height,
        "Seats per section: sold, held, held back and free",
    );
    for (i, row) in rows.iter().enumerate() {
        let top = 10.0 + i as f64 * (bar + 12.0);
        let full = W - 2.0 * PAD - 100.0;
        let part = |n: i64| {
            if row.total > 0 {
                n as f64 / row.total as f64 * full
            } else {
                0.0
            }
        };
        let left = PAD + 50.0;
        let (sold, held, back) = (part(row.sold), part(row.held), part(row.held_back));
        let _ = write!(
            svg,
            r#"<text x="{PAD}" y="{:.0}" class="label">{}</text><rect x="{left}" y="{top}" width="{full:.1}" height="{bar}" class="free"/><rect x="{left}" y="{top}" width="{sold:.1}" height="{bar}" class="sold"/><rect x="{:.1}" y="{top}" width="{held:.1}" height="{bar}" class="held"/><rect x="{:.1}" y="{top}" width="{back:.1}" height="{bar}" class="held-back"/><text x="{:.0}" y="{:.0}" class="label">{}/{}</text>"#,
            top + 16.0,
            escape(&row.code),
            left + sold,
            left + sold + held,
            left + full + 8.0,
            top + 16.0,
            row.sold,
            row.total,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// How many of `times` fall in each hour, one bar an hour, from the first hour to `now`'s (the
/// last 48 hours at most): sales per hour, check-ins per hour.
pub(crate) fn per_hour(
    times: &[DateTime<Utc>],
    now: DateTime<Utc>,
    title: &str,
    unit: &str,
) -> String {
    let mut svg = open(W, H, title);
    let Some(first) = times.iter().min() else {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" class="muted" text-anchor="middle">None yet</text></svg>"#,
            W / 2.0,
            H / 2.0
        );
        return svg;
    };
    let hour = |t: &DateTime<Utc>| t.timestamp().div_euclid(3600);
    let last = hour(&now).max(times.iter().map(hour).max().unwrap_or(0));
    let start = hour(first).max(last - 47);
    let mut counts = vec![0_i64; usize::try_from(last - start + 1).unwrap_or(1)];
    for t in times {
        if let Ok(i) = usize::try_from(hour(t) - start)
            && let Some(c) = counts.get_mut(i)
        {
            *c += 1;
        }
    }
    let most = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let width = (W - 2.0 * PAD) / counts.len() as f64;
    axes(&mut svg);
    for (i, n) in counts.iter().enumerate() {
        let h = *n as f64 / most * (H - 2.0 * PAD);
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" class="bar"><title>{n} {unit}</title></rect>"#,
            PAD + i as f64 * width + 1.0,
            H - PAD - h,
            (width - 2.0).max(1.0),
        );
    }
    let at = |h: i64| DateTime::from_timestamp(h * 3600, 0).unwrap_or(now);
    let _ = write!(
        svg,
        r#"<text x="{PAD}" y="{:.0}" class="muted">{}</text><text x="{:.0}" y="{:.0}" class="muted" text-anchor="end">now</text><text x="{:.0}" y="{:.0}" class="muted">busiest hour: {} {unit}</text></svg>"#,
        H - 12.0,
        at(start).format("%d %b %H:00"),
        W - PAD,
        H - 12.0,
        PAD + 4.0,
        PAD - 8.0,
        most as i64,
    );
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
        let row = SectionBar {
            code: "<b>".into(),
            sold: 1,
            held: 0,
            held_back: 1,
            total: 2,
        };
        let svg = sections(&[row]);
        assert!(svg.contains("&lt;b&gt;"));
        assert!(svg.contains("held-back"));
    }

    #[test]
    fn each_hour_is_a_bar_of_what_happened_in_it() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T10:15:00Z")
            .expect("date")
            .with_timezone(&Utc);
        let hours = |h: i64| t + chrono::Duration::hours(h);
        let svg = per_hour(&[t, t, hours(2)], hours(3), "Sales per hour", "sold");
        assert_eq!(
            svg.matches("class=\"bar\"").count(),
            4,
            "10:00 to 13:00: {svg}"
        );
        assert!(svg.contains("busiest hour: 2 sold"), "{svg}");
        assert!(per_hour(&[], t, "x", "sold").contains("None yet"));
    }
}
