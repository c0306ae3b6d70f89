//! An event's exports for its organiser (issue #27): `attendees.csv` (one row a ticket) and
//! `orders.csv` (one row an order), as a spreadsheet program opens them — and refused to anyone
//! but an administrator.

use serde_json::json;

use crate::harness::InProcess;
use crate::helpers::{cart_with, create_event, pay, pending_order};

#[tokio::test]
async fn the_attendee_export_lists_each_ticket_as_a_spreadsheet_should_read_it()
-> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 3).await;
    // Buyers whose names a spreadsheet would mangle or run: a formula, a comma and quotes.
    let buyers = [
        "=HYPERLINK(\"http://x\")",
        "Smith, \"Jo\"",
        "zoë@example.com",
    ];
    let mut orders = Vec::new();
    for (seat, buyer) in seats.iter().zip(buyers) {
        let order = pending_order(&app, std::slice::from_ref(seat), buyer).await;
        let paid = pay(&app, &order, buyer, json!(25.00)).await;
        assert_eq!(paid.status, 200, "{}", paid.text);
        orders.push(order["id"].as_str().expect("order id").to_string());
    }
    app.settle().await?;
    let tickets = app
        .admin("GET", &format!("/orders/{}/tickets", orders[2]), None)
        .await?;
    let qr = tickets.json[0]["qr"].clone();
    let admitted = app
        .admin(
            "POST",
            "/checkin",
            Some(json!({"qr": qr, "eventId": event})),
        )
        .await?;
    assert_eq!(admitted.status, 200, "{}", admitted.text);

    let path = format!("/admin/events/{event}/attendees.csv");
    let reply = app.admin("GET", &path, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        reply.headers["content-disposition"]
            .to_str()?
            .starts_with("attachment; filename=\"attendees-"),
    );
    let text = reply
        .text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark, so that spreadsheet programs read UTF-8");
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "ticket,order,buyer,email,section,row,seat,price,currency,state,issued at,checked in at"
    );
    assert_eq!(lines.len(), 4, "a header and one row a ticket: {text}");
    let row_of = |order: &str| {
        lines
            .iter()
            .find(|l| l.contains(order))
            .unwrap_or_else(|| panic!("no row of order {order}: {text}"))
    };
    // A formula is quoted and prefixed with an apostrophe; quotes are doubled.
    assert!(
        row_of(&orders[0]).contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{}",
        row_of(&orders[0])
    );
    assert!(row_of(&orders[1]).contains(",\"Smith, \"\"Jo\"\"\","));
    let zoe = row_of(&orders[2]);
    assert!(zoe.contains(",zoë@example.com,"), "{zoe}");
    assert!(zoe.contains(",A,1,"), "section and row: {zoe}");
    assert!(zoe.contains(",25.00,USD,checked_in,"), "{zoe}");
    assert!(!zoe.ends_with(','), "the check-in time is filled: {zoe}");
    assert!(row_of(&orders[0]).ends_with(','), "not checked in");

    // Nobody but an administrator; an unknown event is a 404.
    assert_eq!(app.get(&path).await?.status, 401);
    let staff = json!({"email": "door@example.com", "password": "Passw0rd!", "role": "Staff"});
    assert_eq!(app.admin("POST", "/users", Some(staff)).await?.status, 201);
    let door = app.login("door@example.com", "Passw0rd!").await?;
    let refused = app.call_with_token(Some(&door), "GET", &path, None).await?;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let unknown = app
        .admin(
            "GET",
            "/admin/events/9b2f6c1e-0000-4000-8000-000000000001/attendees.csv",
            None,
        )
        .await?;
    assert_eq!((unknown.status, unknown.code()), (404, "event_not_found"));
    Ok(())
}

#[tokio::test]
async fn the_order_export_lists_each_order_of_the_event_but_no_cart() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 4).await;
    let paid_order = pending_order(&app, &seats[..2], "=2+2").await;
    let paid = pay(&app, &paid_order, "=2+2", json!(50.00)).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    let waiting = pending_order(&app, &seats[2..3], "ana").await;
    let cart = cart_with(&app, &seats[3], "still-choosing").await;
    app.settle().await?;

    let path = format!("/admin/events/{event}/orders.csv");
    let reply = app.admin("GET", &path, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.headers["content-type"], "text/csv; charset=utf-8");
    let text = reply
        .text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark");
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "order,buyer,email,state,seats,amount,currency,created at,paid at"
    );
    assert_eq!(lines.len(), 3, "two orders, and no cart: {text}");
    let id = |o: &serde_json::Value| o["id"].as_str().expect("id").to_string();
    assert!(!text.contains(&id(&cart)), "a cart is not an order yet");
    let row = |order: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(order))
            .unwrap_or_else(|| panic!("no row of {order}: {text}"))
    };
    let completed = row(&id(&paid_order));
    assert!(
        completed.contains(",\"'=2+2\",,completed,2,50.00,USD,"),
        "{completed}"
    );
    assert!(!completed.ends_with(','), "paid at is filled: {completed}");
    let pending = row(&id(&waiting));
    assert!(pending.contains(",ana,,pending,1,25.00,USD,"), "{pending}");
    assert!(pending.ends_with(','), "not paid: {pending}");

    assert_eq!(app.get(&path).await?.status, 401);
    let unknown = app
        .admin(
            "GET",
            "/admin/events/9b2f6c1e-0000-4000-8000-000000000001/orders.csv",
            None,
        )
        .await?;
    assert_eq!((unknown.status, unknown.code()), (404, "event_not_found"));
    Ok(())
}
