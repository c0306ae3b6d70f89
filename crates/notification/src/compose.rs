//! Composing messages (RFC 5322, with attachments) with lettre's builder.

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

const FROM: &str = "Boxoffice <tickets@boxoffice.local>";

/// A composed message ready to store and send.
pub(crate) struct Composed {
    pub(crate) recipient: String,
    pub(crate) subject: String,
    pub(crate) raw: Vec<u8>,
}

/// Whether `address` can receive mail.
pub(crate) fn is_address(address: &str) -> bool {
    address.parse::<Mailbox>().is_ok()
}

/// The tickets of an order, attached.
pub(crate) fn tickets(
    to: &str,
    event_name: &str,
    seats: &[String],
    pdfs: Vec<(String, Vec<u8>)>,
) -> anyhow::Result<Composed> {
    let subject = format!("Your Ticket for {event_name}");
    let body = format!(
        "Hello,\n\nthank you for your purchase. Your tickets for {event_name} are attached \
         ({} PDF file{}).\n\nSeats: {}\n\nShow the QR code of each ticket at the entrance; it is \
         scanned once.\n\nEnjoy the show,\nBoxoffice\n",
        pdfs.len(),
        if pdfs.len() == 1 { "" } else { "s" },
        seats.join(", ")
    );
    let pdf_type = ContentType::parse("application/pdf")?;
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body));
    for (name, bytes) in pdfs {
        parts = parts.singlepart(Attachment::new(name).body(bytes, pdf_type.clone()));
    }
    let message = Message::builder()
        .from(FROM.parse()?)
        .to(to.parse()?)
        .subject(&subject)
        .multipart(parts)?;
    Ok(Composed {
        recipient: to.to_string(),
        subject,
        raw: message.formatted(),
    })
}

/// The notice that a hold lapsed.
pub(crate) fn hold_expired(to: &str, reservation: &str, seat: &str) -> anyhow::Result<Composed> {
    let subject = "Your seat reservation has expired".to_string();
    let body = format!(
        "Hello,\n\nyour hold {reservation} on seat {seat} has expired because it was not paid in \
         time, and the seat is free again. You are welcome to choose a seat anew.\n\nBoxoffice\n"
    );
    let message = Message::builder()
        .from(FROM.parse()?)
        .to(to.parse()?)
        .subject(&subject)
        .body(body)?;
    Ok(Composed {
        recipient: to.to_string(),
        subject,
        raw: message.formatted(),
    })
}
