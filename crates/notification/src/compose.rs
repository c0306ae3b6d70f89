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

/// The tickets of an order, attached, with a link to the order's page.
pub(crate) fn tickets(
    to: &str,
    event_name: &str,
    seats: &[String],
    order_url: &str,
    pdfs: Vec<(String, Vec<u8>)>,
) -> anyhow::Result<Composed> {
    let subject = format!("Your Ticket for {event_name}");
    let body = format!(
        "Hello,\n\nthank you for your purchase. Your tickets for {event_name} are attached \
         ({} PDF file{}).\n\nSeats: {}\n\nYour order: {order_url}\n\nShow the QR code of each \
         ticket at the entrance; it is scanned once.\n\nEnjoy the show,\nBoxoffice\n",
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

/// A plain-text message.
fn plain(to: &str, subject: String, body: String) -> anyhow::Result<Composed> {
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

/// What a waitlist offer e-mail says.
pub(crate) struct OfferFacts<'a> {
    pub(crate) event_name: &'a str,
    pub(crate) seat_number: &'a str,
    pub(crate) amount: &'a str,
    pub(crate) currency: &'a str,
    pub(crate) expires_at: &'a str,
    pub(crate) order_id: &'a str,
    pub(crate) guest_token: &'a str,
    pub(crate) offer_url: &'a str,
    pub(crate) pay_url: &'a str,
}

/// A seat offered to someone on the waitlist, with what they need to pay for it.
pub(crate) fn waitlist_offer(to: &str, o: &OfferFacts<'_>) -> anyhow::Result<Composed> {
    let subject = format!("A seat is yours: {}", o.event_name);
    let body = format!(
        "Hello,\n\ngood news: a seat for {event} has come free and it is held for you.\n\n\
         Seat: {seat}\nPrice: {amount} {currency}\nOrder: {order}\nPay before: {expires} (UTC)\n\n\
         Pay in your browser: {offer_url}\n\n\
         Or, from a program, send your order and this guest token (it proves the order is yours; keep it \
         private):\n\n  {token}\n\n\
         curl -X POST {pay_url} -H 'Content-Type: application/json' \\\n  \
         -d '{{\"orderId\":\"{order}\",\"customerId\":\"{token}\",\"amount\":{amount}}}'\n\n\
         If you do not pay in time, the seat goes to the next person in line. Your tickets will \
         be e-mailed to this address once you have paid.\n\nBoxoffice\n",
        event = o.event_name,
        seat = o.seat_number,
        amount = o.amount,
        currency = o.currency,
        order = o.order_id,
        expires = o.expires_at,
        offer_url = o.offer_url,
        token = o.guest_token,
        pay_url = o.pay_url,
    );
    plain(to, subject, body)
}

/// The notice that a waitlist offer ended unpaid.
pub(crate) fn waitlist_offer_ended(
    to: &str,
    event_name: &str,
    reason: &str,
) -> anyhow::Result<Composed> {
    let subject = format!("Your waitlist offer has ended: {event_name}");
    let why = if reason == "cancelled" {
        "the event has been taken off sale"
    } else {
        "it was not paid in time, so the seat has gone to the next person in line"
    };
    let body = format!(
        "Hello,\n\nthe seat we held for you for {event_name} is no longer reserved: {why}. You \
         are welcome to join the waitlist again.\n\nBoxoffice\n"
    );
    plain(to, subject, body)
}

/// What a refund e-mail says.
pub(crate) struct RefundFacts<'a> {
    pub(crate) order_id: &'a str,
    pub(crate) amount: &'a str,
    pub(crate) currency: &'a str,
    pub(crate) reason: &'a str,
    /// `refunded` (the whole order) or `partially_refunded`.
    pub(crate) state: &'a str,
    /// "Event — A-1-2", one a seat.
    pub(crate) seats: &'a [String],
}

/// The notice that seats of an order were refunded and their tickets no longer admit.
pub(crate) fn refund(to: &str, r: &RefundFacts<'_>) -> anyhow::Result<Composed> {
    let subject = format!(
        "Your refund of {} {} (order {})",
        r.amount, r.currency, r.order_id
    );
    let scope = if r.state == "refunded" {
        "your whole order"
    } else {
        "part of your order"
    };
    let body = format!(
        "Hello,\n\nthe organiser has refunded {scope} {order}: {amount} {currency} goes back to          the card you paid with (banks take a few days to show it).\n\nReason: {reason}\n\n\
         Refunded seats (their tickets no longer admit):\n{seats}\n\nBoxoffice\n",
        order = r.order_id,
        amount = r.amount,
        currency = r.currency,
        reason = r.reason,
        seats = r
            .seats
            .iter()
            .map(|s| format!("  - {s}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    plain(to, subject, body)
}

/// The notice that an event moved to a new date or venue.
pub(crate) fn rescheduled(
    to: &str,
    event_name: &str,
    when: &str,
    venue: &str,
    order: &str,
) -> anyhow::Result<Composed> {
    let subject = format!("{event_name} has moved: {when}");
    let body = format!(
        "Hello,\n\n{event_name} now takes place on {when} at {venue}. Your tickets (order \
         {order}) stay valid for the new date: there is nothing to do. If you cannot come, \
         reply to the organiser.\n\nBoxoffice\n"
    );
    plain(to, subject, body)
}

/// The notice that a hold lapsed.
pub(crate) fn hold_expired(to: &str, reservation: &str, seat: &str) -> anyhow::Result<Composed> {
    let subject = "Your seat reservation has expired".to_string();
    let body = format!(
        "Hello,\n\nyour hold {reservation} on seat {seat} has expired because it was not paid in \
         time, and the seat has been released. You are welcome to choose a seat anew.\n\nBoxoffice\n"
    );
    plain(to, subject, body)
}
