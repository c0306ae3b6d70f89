//! Tickets: one per seat, a PDF whose QR code a scanner decodes to a signed token, check-in,
//! and the e-mail that carries them — exactly once, even across a crash.

use base64::Engine;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;
use testkit::{SmtpSink, TestServer, eventually};

use crate::harness::InProcess;
use crate::helpers::{create_event, hold, pay, pending_order, spawn_with};

/// Waits for the tickets of an order.
async fn tickets_of(
    app: &TestServer,
    order: &Value,
    user: &str,
    count: usize,
) -> anyhow::Result<Vec<Value>> {
    let url = format!(
        "/orders/{}/tickets?userId={user}",
        order["id"].as_str().unwrap_or_default()
    );
    eventually(Duration::from_secs(8), "the tickets", || {
        let (app, url) = (app, url.clone());
        async move { Ok(app.get(&url).await?.json.as_array().map(Vec::len) == Some(count)) }
    })
    .await?;
    Ok(app
        .get(&url)
        .await?
        .json
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// Renders a PDF to PNG with poppler and decodes its QR code with zbar, as a phone would.
fn scan_qr(pdf: &[u8]) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("ticket.pdf");
    std::fs::write(&file, pdf)?;
    let render = Command::new(testkit::tools::require("pdftoppm")?)
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .status()?;
    anyhow::ensure!(render.success(), "pdftoppm failed");
    let out = Command::new(testkit::tools::require("zbarimg")?)
        .args(["--quiet", "--raw"])
        .arg(dir.path().join("page.png"))
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "no QR code found: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

fn pdf_text(pdf: &[u8]) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("ticket.pdf");
    std::fs::write(&file, pdf)?;
    let out = Command::new(testkit::tools::require("pdftotext")?)
        .arg(&file)
        .arg("-")
        .output()?;
    anyhow::ensure!(out.status.success(), "pdftotext failed");
    Ok(String::from_utf8(out.stdout)?)
}

#[tokio::test]
async fn each_seat_gets_a_ticket_whose_qr_scans_to_a_token_that_verifies_offline()
-> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let (event, seats) = create_event(&app, 1, 2).await;
    let order = pending_order(&app, &seats, "ana@example.com").await;
    assert_eq!(
        pay(&app, &order, "ana@example.com", json!(50.00))
            .await
            .status,
        200
    );

    let tickets = tickets_of(&app, &order, "ana@example.com", 2).await?;
    let ticket = &tickets[0];
    assert_eq!(ticket["eventName"], "Test Night");
    assert_eq!(ticket["venue"], "Test Hall");
    assert_eq!(ticket["status"], "issued");
    assert_eq!(ticket["holder"], "ana@example.com");
    assert_eq!(ticket["eventId"], event.as_str());
    let id = ticket["id"].as_str().expect("id");

    let pdf = app
        .client()
        .get(format!(
            "{}/tickets/{id}.pdf?userId=ana@example.com",
            app.base("fulfillment")
        ))
        .send()
        .await?;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await?;
    let text = pdf_text(&pdf)?;
    for expected in [
        "Test Night",
        "Test Hall",
        "Section A",
        "Row 1",
        "Seat 1",
        "25.00 USD",
        "ana@example.com",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the PDF text:\n{text}"
        );
    }
    let scanned = scan_qr(&pdf)?;
    assert_eq!(scanned, ticket["qr"].as_str().expect("qr"));

    let key = app.get("/tickets/public-key").await?.json["publicKey"]
        .as_str()
        .expect("key")
        .to_string();
    let key: [u8; 32] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(key)?
        .try_into()
        .map_err(|_| anyhow::anyhow!("key length"))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key)?;
    let token = fulfillment::verify_with(&key, &scanned)
        .expect("the token verifies with the published key");
    assert_eq!(token.ticket_id.to_string(), id);
    assert_eq!(
        token.seat_id.to_string(),
        ticket["seatId"].as_str().expect("seat")
    );
    let mut forged = scanned.clone();
    forged.replace_range(10..11, if &scanned[10..11] == "A" { "B" } else { "A" });
    assert!(fulfillment::verify_with(&key, &forged).is_none());

    let json_view = app
        .get(&format!("/tickets/{id}.json?userId=ana@example.com"))
        .await?;
    assert_eq!(json_view.json["id"], id);
    let bad_id = app.get("/tickets/not-a-guid.pdf").await?;
    assert_eq!(
        (bad_id.status, bad_id.error()),
        (400, "Invalid ticket ID format. Expected a GUID.")
    );
    let other = app
        .get(&format!(
            "/orders/{}/tickets?userId=bob",
            order["id"].as_str().expect("id")
        ))
        .await?;
    assert_eq!(other.status, 404);
    Ok(())
}

#[tokio::test]
async fn check_in_admits_a_ticket_once() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let (event, seats) = create_event(&app, 1, 1).await;
    let (other_event, _) = create_event(&app, 1, 1).await;
    let order = pending_order(&app, &seats, "ana").await;
    assert_eq!(pay(&app, &order, "ana", json!(25.00)).await.status, 200);
    let qr = tickets_of(&app, &order, "ana", 1).await?[0]["qr"].clone();

    let wrong_door = app
        .admin(
            "POST",
            "/checkin",
            Some(json!({"qr": qr, "eventId": other_event})),
        )
        .await?;
    let staff = json!({"email": "door@example.com", "password": "Passw0rd!", "role": "Staff"});
    assert_eq!(app.admin("POST", "/users", Some(staff)).await?.status, 201);
    let door = app.login("door@example.com", "Passw0rd!").await?;
    let first = app
        .call_with_token(
            Some(&door),
            "POST",
            "/checkin",
            Some(json!({"qr": qr, "eventId": event})),
        )
        .await?;
    let second = app
        .admin("POST", "/checkin", Some(json!({"qr": qr})))
        .await?;
    let garbage = app
        .admin("POST", "/checkin", Some(json!({"qr": "BX1.not-a-ticket"})))
        .await?;

    assert_eq!(wrong_door.json["result"], "wrong_event");
    assert_eq!(first.json["result"], "admitted", "{}", first.text);
    assert_eq!(first.json["ticket"]["status"], "checked_in");
    assert_eq!(second.json["result"], "already_checked_in");
    assert_eq!(garbage.json["result"], "invalid");
    Ok(())
}

#[tokio::test]
async fn the_buyer_receives_the_tickets_by_smtp_with_the_pdfs_attached() -> anyhow::Result<()> {
    let smtp = SmtpSink::start().await?;
    let app = spawn_with(&["--no-demo", "--smtp-url", &smtp.url()]).await;
    let (_, seats) = create_event(&app, 1, 2).await;
    let order = pending_order(&app, &seats, "ana@example.com").await;
    assert_eq!(
        pay(&app, &order, "ana@example.com", json!(50.00))
            .await
            .status,
        200
    );

    eventually(Duration::from_secs(10), "the e-mail", || {
        let smtp = &smtp;
        async move { Ok(!smtp.messages().is_empty()) }
    })
    .await?;

    let mail = &smtp.messages()[0];
    assert!(
        mail.contains("Subject: Your Ticket for Test Night"),
        "{}",
        &mail[..600.min(mail.len())]
    );
    assert!(mail.contains("To: ana@example.com"));
    let order_id = order["id"].as_str().expect("order id");
    let link = format!("/ui/orders/{order_id}");
    // The body is quoted-printable: long lines are folded with a trailing `=`.
    let body = mail.replace("=\r\n", "").replace("=\n", "");
    assert!(
        body.contains(&link),
        "the e-mail links to the order: {body:.2000}"
    );
    assert_eq!(
        mail.matches("Content-Type: application/pdf").count(),
        2,
        "two PDFs attached"
    );
    let listed = app
        .admin("GET", "/notifications?email=ana@example.com", None)
        .await?;
    eventually(
        Duration::from_secs(5),
        "the message to be recorded as sent",
        || {
            let app = &app;
            async move {
                Ok(app
                    .admin("GET", "/notifications?email=ana@example.com", None)
                    .await?
                    .json[0]["status"]
                    == "sent")
            }
        },
    )
    .await?;
    assert_eq!(listed.json.as_array().map(Vec::len), Some(1));
    Ok(())
}

#[tokio::test]
async fn without_smtp_messages_are_written_as_eml_files_and_lapsed_holds_are_announced()
-> anyhow::Result<()> {
    let app = InProcess::start(|args| args.hold_seconds = Some(1)).await?;
    let (_, seats) = create_event(&app, 1, 1).await;
    assert_eq!(
        hold(
            &app,
            seats[0]["id"].as_str().expect("seat"),
            "slow@example.com"
        )
        .await
        .status,
        201
    );

    let mail_dir = app.data_dir().join("mail");
    app.advance(2).await?;
    assert_eq!(
        std::fs::read_dir(&mail_dir)?.count(),
        1,
        "the expiry notice"
    );
    let file = std::fs::read_dir(&mail_dir)?
        .next()
        .expect("a file")?
        .path();
    assert_eq!(file.extension().and_then(|e| e.to_str()), Some("eml"));
    let text = std::fs::read_to_string(file)?;
    assert!(text.contains("Subject: Your seat reservation has expired"));
    assert!(text.contains("To: slow@example.com"));
    Ok(())
}

#[tokio::test]
async fn a_crash_right_after_payment_still_yields_the_tickets_and_one_e_mail() -> anyhow::Result<()>
{
    let smtp = SmtpSink::start().await?;
    let mut app = spawn_with(&["--no-demo", "--smtp-url", &smtp.url()]).await;
    let (_, seats) = create_event(&app, 1, 3).await;
    let order = pending_order(&app, &seats, "ana@example.com").await;

    let paid = pay(&app, &order, "ana@example.com", json!(75.00)).await;
    app.crash_and_restart().await?;

    assert_eq!(paid.status, 200);
    let tickets = tickets_of(&app, &order, "ana@example.com", 3).await?;
    let seats_ticketed: std::collections::HashSet<&str> = tickets
        .iter()
        .filter_map(|t| t["seatId"].as_str())
        .collect();
    assert_eq!(seats_ticketed.len(), 3, "one ticket per seat");
    eventually(Duration::from_secs(10), "the e-mail", || {
        let smtp = &smtp;
        async move { Ok(!smtp.messages().is_empty()) }
    })
    .await?;
    app.crash_and_restart().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.messages().len(), 1, "exactly one e-mail");
    assert_eq!(
        tickets_of(&app, &order, "ana@example.com", 3).await?.len(),
        3
    );
    let order_state = app
        .get(&format!(
            "/orders/{}?userId=ana@example.com",
            order["id"].as_str().expect("id")
        ))
        .await?;
    assert_eq!(order_state.json["state"], "completed");
    Ok(())
}
