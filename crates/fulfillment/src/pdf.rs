//! The ticket PDF: one A4 page with the event, date, venue, seat, price, holder and the QR code
//! drawn as vector squares (no image codec), which phone scanners read.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use qrcode::{Color, QrCode};

use crate::domain::Ticket;

/// DejaVu Sans, shipped in the repository so every machine renders the same ticket.
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

const A4: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 56.0;
const QR_SIZE: f32 = 240.0;

/// Renders the ticket.
///
/// # Errors
/// When the font cannot be loaded or the QR payload does not fit a QR code.
pub(crate) fn render(ticket: &Ticket) -> anyhow::Result<Vec<u8>> {
    let font = Font::new(FONT.to_vec().into(), 0)
        .ok_or_else(|| anyhow::anyhow!("the bundled font is unreadable"))?;
    let qr = QrCode::new(ticket.qr.as_bytes())?;
    let mut document = Document::new();
    let settings =
        PageSettings::from_wh(A4.0, A4.1).ok_or_else(|| anyhow::anyhow!("invalid page size"))?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let mut pen = Pen {
        font,
        y: MARGIN + 10.0,
    };
    fill(&mut surface, (110, 110, 110));
    pen.line(&mut surface, 11.0, 0.0, "BOXOFFICE · ADMISSION TICKET");
    fill(&mut surface, (20, 20, 20));
    pen.line(&mut surface, 24.0, 36.0, &ticket.event_name);
    let date = ticket
        .event_date
        .format("%A %-d %B %Y, %H:%M UTC")
        .to_string();
    pen.line(&mut surface, 13.0, 26.0, &date);
    pen.line(&mut surface, 13.0, 20.0, &ticket.venue);
    let place = format!(
        "Section {}   Row {}   Seat {}",
        ticket.section_code, ticket.row_number, ticket.seat_number
    );
    pen.line(&mut surface, 18.0, 40.0, &place);
    pen.line(
        &mut surface,
        13.0,
        28.0,
        &format!("Price: {} {}", ticket.price, ticket.currency),
    );
    pen.line(
        &mut surface,
        13.0,
        20.0,
        &format!("Holder: {}", ticket.holder),
    );
    fill(&mut surface, (110, 110, 110));
    pen.line(
        &mut surface,
        9.0,
        20.0,
        &format!("Ticket {}  ·  Order {}", ticket.id, ticket.order_id),
    );
    let qr_top = pen.y + 36.0;
    fill(&mut surface, (0, 0, 0));
    draw_qr(&mut surface, &qr, MARGIN, qr_top)?;
    pen.y = qr_top + QR_SIZE + 8.0;
    fill(&mut surface, (110, 110, 110));
    pen.line(
        &mut surface,
        9.0,
        14.0,
        "Show this code at the entrance. It is valid once, for the seat above.",
    );
    pen.line(
        &mut surface,
        9.0,
        13.0,
        "Door scanners verify it offline with the key published at /tickets/public-key.",
    );
    surface.finish();
    page.finish();
    document
        .finish()
        .map_err(|e| anyhow::anyhow!("PDF rendering failed: {e:?}"))
}

/// Writes lines of text down the page.
struct Pen {
    font: Font,
    y: f32,
}

impl Pen {
    fn line(&mut self, surface: &mut Surface<'_>, size: f32, gap: f32, text: &str) {
        self.y += gap;
        surface.draw_text(
            Point::from_xy(MARGIN, self.y),
            self.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }
}

fn fill(surface: &mut Surface<'_>, (r, g, b): (u8, u8, u8)) {
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }));
}

/// Draws the dark modules as one path, with the four-module quiet zone scanners need.
fn draw_qr(surface: &mut Surface<'_>, qr: &QrCode, left: f32, top: f32) -> anyhow::Result<()> {
    let width = qr.width();
    let module = QR_SIZE / (width + 8) as f32;
    let mut path = PathBuilder::new();
    for (i, color) in qr.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (x, yy) = ((i % width + 4) as f32, (i / width + 4) as f32);
            if let Some(rect) =
                Rect::from_xywh(left + x * module, top + yy * module, module, module)
            {
                path.push_rect(rect);
            }
        }
    }
    let path = path
        .finish()
        .ok_or_else(|| anyhow::anyhow!("empty QR code"))?;
    surface.draw_path(&path);
    Ok(())
}
