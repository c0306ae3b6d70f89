//! The web UI in a real headless Chromium: buying as a guest, racing for a seat, a hold running
//! out on the payment page, an administrator setting up and following an event, the door, and
//! the waiting list. Screenshots of the main pages land in `target/ui-screenshots/`.

use fantoccini::Locator;
use serde_json::json;
use std::time::Duration;
use testkit::{ADMIN_EMAIL, ADMIN_PASSWORD, Browser, TestServer, eventually};

use crate::helpers::{
    COLDPLAY, create_event, hold, pay, pending_order, spawn_demo_app, spawn_with,
};

/// Seat A-1-1 of the demo's Coldplay event.
const SEAT_A11: &str = "550e8400-e29b-41d4-a716-446655440001";

fn seat_css(seat: &str) -> String {
    format!(".seat[data-id=\"{seat}\"]")
}

/// The page `path` of the app's gateway.
fn url(app: &TestServer, path: &str) -> String {
    format!("{}{path}", app.base("gateway"))
}

/// Signs `browser` in through the sign-in form.
async fn sign_in(
    browser: &Browser,
    app: &TestServer,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    browser.goto(&url(app, "/ui/signin")).await?;
    submit_credentials(browser, email, password).await
}

/// Fills the sign-in or registration form open in `browser` and sends it.
async fn submit_credentials(browser: &Browser, email: &str, password: &str) -> anyhow::Result<()> {
    browser.fill("email", email).await?;
    browser.fill("password", password).await?;
    browser.click("form.stack button").await?;
    Ok(())
}

/// Checks the open cart out as a guest whose tickets go to `email`.
async fn check_out_as_guest(browser: &Browser, email: &str) -> anyhow::Result<()> {
    browser.fill("email", email).await?;
    browser
        .click("form[action=\"/ui/cart/checkout\"] button")
        .await?;
    Ok(())
}

/// The page open in `browser` (at a phone's width) does not scroll sideways and has no serious
/// or critical accessibility violation; its screenshot is saved as `shot`.
async fn fits_a_phone(browser: &Browser, path: &str, shot: &str) -> anyhow::Result<()> {
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await?;
    browser.screenshot(shot).await?;
    assert!(
        overflow.as_i64().is_some_and(|px| px <= 0),
        "{path} scrolls sideways by {overflow} px on a phone"
    );
    browser.assert_accessible(path).await
}

/// Holds seat A-1-1 of the demo event from its page and opens the cart.
async fn hold_a11_and_open_the_cart(browser: &Browser, app: &TestServer) -> anyhow::Result<()> {
    browser
        .goto(&url(app, &format!("/ui/events/{COLDPLAY}")))
        .await?;
    browser.click(&seat_css(SEAT_A11)).await?;
    browser.wait_for_text("#message", "yours", 10).await?;
    browser.goto(&url(app, "/ui/cart")).await?;
    Ok(())
}

/// The classes of the seat's circle on the page.
async fn seat_class(browser: &Browser, seat: &str) -> anyhow::Result<String> {
    let circle = browser.find(Locator::Css(&seat_css(seat))).await?;
    Ok(circle.attr("class").await?.unwrap_or_default())
}

#[tokio::test]
async fn a_guest_buys_a_seat_from_the_event_list_to_the_ticket_and_its_pdf() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let browser = Browser::launch().await?;
    browser.goto(&url(&app, "/")).await?;
    assert!(browser.text_of("h1", 5).await?.contains("Upcoming events"));
    let card = browser
        .text_of(&format!("a[href=\"/ui/events/{COLDPLAY}\"]"), 5)
        .await?;
    assert!(card.contains("Coldplay - Live in Santiago"), "{card}");
    assert!(card.contains("from $40.00"), "the cheapest seat: {card}");
    browser.screenshot("01-event-list").await?;

    browser
        .click(&format!("a[href=\"/ui/events/{COLDPLAY}\"]"))
        .await?;
    browser.text_of(&seat_css(SEAT_A11), 10).await?;
    assert!(seat_class(&browser, SEAT_A11).await?.contains("available"));
    browser.click(&seat_css(SEAT_A11)).await?;
    let said = browser.wait_for_text("#message", "yours", 10).await?;
    assert!(said.contains("A · row 1 · seat 1"), "{said}");
    assert!(seat_class(&browser, SEAT_A11).await?.contains("mine"));
    assert_eq!(browser.text_of("#in-cart", 2).await?, "1");
    browser.screenshot("02-event-seat-map").await?;
    // The server agrees: the seat is held.
    assert_eq!(
        crate::helpers::seat_status(&app, COLDPLAY, SEAT_A11).await,
        "reserved"
    );

    browser.click("#to-cart").await?;
    let countdown = browser.text_of(".countdown", 5).await?;
    assert!(
        countdown.contains(':'),
        "a running countdown, got {countdown:?}"
    );
    browser.fill("email", "guest.buyer@example.com").await?;
    browser.screenshot("03-cart").await?;
    browser
        .click("form[action=\"/ui/cart/checkout\"] button")
        .await?;

    browser.text_of("#pay", 10).await?;
    assert!(browser.text_of("#pay", 1).await?.contains("Pay $50.00"));
    browser.screenshot("04-payment").await?;
    browser.click("#pay").await?;

    let heading = browser.wait_for_text("h1", "completed", 10).await?;
    assert!(heading.contains("Order"), "{heading}");
    browser
        .wait_for_text("ul.tickets", "A · row 1 · seat 1", 15)
        .await?;
    let qr = browser.find(Locator::Css("ul.tickets svg.qr path")).await?;
    assert!(
        qr.attr("d").await?.unwrap_or_default().len() > 100,
        "a drawn QR code"
    );
    browser.screenshot("05-order-with-ticket").await?;

    browser.click("ul.tickets a[download]").await?;
    let dir = browser.downloads().to_path_buf();
    eventually(Duration::from_secs(15), "the PDF download", || {
        let dir = dir.clone();
        async move {
            let done = std::fs::read_dir(&dir)?
                .flatten()
                .map(|f| f.path())
                .find(|p| p.extension().is_some_and(|e| e == "pdf"));
            Ok(done.is_some_and(|p| std::fs::read(p).is_ok_and(|b| b.starts_with(b"%PDF"))))
        }
    })
    .await?;
    // Another browser (no cookies) gets no ticket.
    let ticket_link = browser
        .find(Locator::Css("ul.tickets a[download]"))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    let stranger = app.client().get(url(&app, &ticket_link)).send().await?;
    assert_eq!(stranger.status(), 404);
    browser.quit().await;
    Ok(())
}

/// The map's answer to a click, once it is in (the message starts hidden and empty).
async fn answer_of(browser: &Browser) -> anyhow::Result<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let message = browser.find(Locator::Css("#message")).await?;
        let text = message.text().await?;
        if !text.is_empty() {
            return Ok(text);
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "no answer to the click"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_browsers_race_for_one_seat_and_the_loser_is_told_in_words() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let (ana, ben) = tokio::try_join!(Browser::launch(), Browser::launch())?;
    for b in [&ana, &ben] {
        b.goto(&url(&app, &format!("/ui/events/{COLDPLAY}")))
            .await?;
        b.text_of(&seat_css(SEAT_A11), 10).await?;
    }
    let css = seat_css(SEAT_A11);
    tokio::try_join!(ana.click(&css), ben.click(&css))?;
    let (a, b) = tokio::try_join!(answer_of(&ana), answer_of(&ben))?;
    let winners = [&a, &b].iter().filter(|m| m.contains("yours")).count();
    let losers = [&a, &b].iter().filter(|m| m.contains("taken")).count();
    assert_eq!((winners, losers), (1, 1), "ana: {a:?}, ben: {b:?}");
    let loser = if a.contains("taken") { &ana } else { &ben };
    assert!(seat_class(loser, SEAT_A11).await?.contains("reserved"));
    loser.screenshot("06-seat-race-loser").await?;
    // Both maps are live (Server-Sent Events): a hold made elsewhere shows on each.
    for b in [&ana, &ben] {
        b.text_of("#event[data-stream=open]", 10).await?;
    }
    assert_eq!(hold(&app, SEAT_A12, "someone-elsewhere").await.status, 201);
    for b in [&ana, &ben] {
        eventually(
            Duration::from_secs(10),
            "the hold to reach the map",
            || async move { Ok(seat_class(b, SEAT_A12).await?.contains("reserved")) },
        )
        .await?;
    }
    ana.quit().await;
    ben.quit().await;
    Ok(())
}

#[tokio::test]
async fn a_hold_that_runs_out_on_the_payment_page_is_explained() -> anyhow::Result<()> {
    let app = spawn_with(&["--hold-seconds", "10"]).await;
    let browser = Browser::launch().await?;
    hold_a11_and_open_the_cart(&browser, &app).await?;
    check_out_as_guest(&browser, "late.payer@example.com").await?;
    browser.text_of("#pay", 10).await?;
    // Under two minutes left (10 s here): the page warns, and keeps the seats once more on
    // request (the demo event allows it); the page comes back with the new countdown.
    browser
        .wait_for_text("#hold-warning", "less than two minutes", 5)
        .await?;
    browser.click("#extend").await?;
    browser
        .wait_for_text("#extended", "another hold time", 10)
        .await?;

    // The countdown reaches zero: the page says so and hides the pay button.
    let said = browser
        .wait_for_text("#hold-expired", "no longer reserved", 40)
        .await?;
    assert!(said.contains("expired"), "{said}");
    assert!(
        !browser
            .find(Locator::Css("#pay-form"))
            .await?
            .is_displayed()
            .await?
    );
    browser.screenshot("07-hold-expired-on-payment").await?;

    // The server agrees once the sweeper ran: the order can no longer be paid.
    let order_path = browser.current_url().await?.path().to_owned();
    eventually(
        Duration::from_secs(10),
        "the server to see the lapse",
        || {
            let browser = &browser;
            let to = url(&app, &order_path);
            async move {
                browser.goto(&to).await?;
                let text = browser.find(Locator::Css("main")).await?.text().await?;
                Ok(text.contains("can no longer be paid") || text.contains("was cancelled"))
            }
        },
    )
    .await?;
    assert!(
        browser.find(Locator::Css("#pay")).await.is_err(),
        "no pay button"
    );
    browser.quit().await;
    Ok(())
}

/// The text of `path` fetched by the page's own script, with its cookies (a download link's
/// target, read without saving a file).
async fn fetched_by_page(browser: &Browser, path: &str) -> anyhow::Result<String> {
    let fetched = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.text()).then(done, e => done(String(e)));",
            vec![json!(path)],
        )
        .await?;
    Ok(fetched.as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn an_admin_creates_an_event_lays_out_seats_and_sees_a_sale() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let browser = Browser::launch().await?;
    // The admin pages send a stranger to sign in first.
    browser.goto(&url(&app, "/ui/admin")).await?;
    assert!(browser.current_url().await?.path().ends_with("/ui/signin"));
    browser.fill("email", ADMIN_EMAIL).await?;
    browser.fill("password", ADMIN_PASSWORD).await?;
    browser.click("form.stack button").await?;
    browser.wait_for_text("h1", "Events", 10).await?;

    browser.click("a[href=\"/ui/admin/events/new\"]").await?;
    browser.fill("name", "Browser Night").await?;
    browser.fill("description", "Made in a browser").await?;
    browser
        .execute(
            "document.querySelector('[name=event_date]').value = '2099-06-01T20:00';",
            vec![],
        )
        .await?;
    browser.fill("venue", "Test Hall").await?;
    browser.fill("max_capacity", "100").await?;
    browser.fill("base_price", "40.00").await?;
    browser.click("form.stack button").await?;

    // The generator: two sections, previewed live before saving.
    browser.wait_for_text("h1", "Seat layout", 10).await?;
    browser.fill("rows", "2").await?;
    browser.fill("seats", "6").await?;
    browser.click("#add-section").await?;
    let fields = browser
        .find_all(Locator::Css("input[name=multiplier]"))
        .await?;
    fields[1].clear().await?;
    fields[1].send_keys("1.50").await?;
    browser
        .wait_for_text("#preview", "24 seats in 2 sections", 10)
        .await?;
    let dots = browser.find_all(Locator::Css("#preview .seat")).await?;
    assert_eq!(dots.len(), 24);
    browser.screenshot("08-admin-seat-generator").await?;
    browser.click("#generator button.primary").await?;
    browser.wait_for_text("#sold", "0", 10).await?;
    let event_path = browser.current_url().await?.path().to_owned();
    let event = event_path
        .trim_start_matches("/ui/admin/events/")
        .to_owned();

    // A buyer (over the API) buys a seat of section B at 60.00.
    let map = crate::helpers::seat_map(&app, &event).await;
    let seat = map["seats"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["sectionCode"] == "B"))
        .cloned()
        .expect("a seat in B");
    let order = pending_order(&app, &[seat], "fan-1").await;
    let paid = pay(&app, &order, "fan-1", json!(60.00)).await;
    assert_eq!(paid.status, 200, "{}", paid.text);

    // Inventory and ordering each learn of the payment from its event: the dashboard catches up
    // within moments, on the next load.
    eventually(
        Duration::from_secs(15),
        "the sale on the dashboard",
        || async {
            browser.refresh().await?;
            let sold = browser.text_of("#sold", 5).await?;
            let timeline = browser.text_of("section.panel svg.chart", 5).await?;
            Ok(sold == "1" && timeline.contains("1 sold"))
        },
    )
    .await?;
    assert!(browser.text_of("#revenue", 2).await?.contains("$60.00"));
    browser.screenshot("09-admin-dashboard").await?;

    // The dashboard's download: the event's tickets as a spreadsheet, by the session's cookie.
    let csv_path = format!("/ui/admin/events/{event}/attendees.csv");
    browser
        .find(Locator::Css(&format!("a[href=\"{csv_path}\"]")))
        .await?;
    eventually(
        Duration::from_secs(15),
        "the ticket in the export",
        || async {
            let text = fetched_by_page(&browser, &csv_path).await?;
            Ok(text.contains("ticket,order,buyer")
                && text.contains(",fan-1,")
                && text.contains(",B,"))
        },
    )
    .await?;
    let orders_path = format!("/ui/admin/events/{event}/orders.csv");
    browser
        .find(Locator::Css(&format!("a[href=\"{orders_path}\"]")))
        .await?;
    let orders = fetched_by_page(&browser, &orders_path).await?;
    assert!(
        orders.contains(",fan-1,,completed,1,60.00,USD,"),
        "{orders}"
    );

    // The list shows it; deactivating takes it off the public list.
    browser.goto(&url(&app, "/ui/admin")).await?;
    assert!(
        browser
            .text_of("table.lines", 5)
            .await?
            .contains("Browser Night")
    );
    // Looking the order up, from the dashboard, by the buyer's id.
    browser.goto(&url(&app, &event_path)).await?;
    browser
        .click("a[href^=\"/ui/admin/orders?eventId=\"]")
        .await?;
    browser.wait_for_text("h1", "Orders", 10).await?;
    browser.fill("q", "fan-1").await?;
    browser.click("form.search button").await?;
    browser.wait_for_text("#orders", "fan-1", 10).await?;
    assert!(browser.text_of("#orders", 5).await?.contains("completed"));
    browser.screenshot("09c-admin-orders").await?;
    browser.assert_accessible("the order search").await?;

    // The order itself: its seat, payment, ticket, e-mail and timeline; then a refund, asked
    // to confirm first.
    let order_id = order["id"].as_str().expect("order id");
    browser
        .click(&format!("a[href=\"/ui/admin/orders/{order_id}\"]"))
        .await?;
    browser
        .wait_for_text("#order-state", "completed", 10)
        .await?;
    browser.wait_for_text("#timeline", "Paid", 10).await?;
    browser.screenshot("09d-admin-order").await?;
    browser.assert_accessible("an order").await?;
    browser.click("#lines input[type=checkbox]").await?;
    browser.fill("reason", "Seat B was double-booked").await?;
    browser.click("#refund").await?;
    browser.wait_for_text("h1", "Refund $60.00?", 10).await?;
    browser.screenshot("09e-admin-refund-confirm").await?;
    browser.assert_accessible("the refund confirmation").await?;
    browser.click("form.actions a.button").await?;
    browser
        .wait_for_text("#order-state", "completed", 10)
        .await?;
    browser.click("#lines input[type=checkbox]").await?;
    browser.fill("reason", "Seat B was double-booked").await?;
    browser.click("#refund").await?;
    browser.wait_for_text("h1", "Refund $60.00?", 10).await?;
    browser.click("#confirm").await?;
    browser.wait_for_text("#notice", "Refunded", 10).await?;
    eventually(Duration::from_secs(15), "the order refunded", || async {
        browser.refresh().await?;
        Ok(browser.text_of("#order-state", 5).await? == "refunded")
    })
    .await?;
    assert!(browser.text_of("#refunded", 2).await?.contains("$60.00"));
    assert!(browser.text_of("#timeline", 2).await?.contains("Refunded"));
    browser.screenshot("09f-admin-order-refunded").await?;
    // Seats held back: two house seats, a refusal naming a held seat, a wheelchair mark.
    browser.goto(&url(&app, &event_path)).await?;
    browser.click("a[href$=\"/held-back\"]").await?;
    browser.wait_for_text("h1", "Seats held back", 10).await?;
    let a2 = map["seats"]
        .as_array()
        .and_then(|s| {
            s.iter()
                .find(|s| s["sectionCode"] == "A" && s["rowNumber"] == 2 && s["seatNumber"] == 3)
        })
        .cloned()
        .expect("seat A-2-3");
    let held = crate::helpers::hold(&app, a2["id"].as_str().unwrap_or_default(), "fan-2").await;
    assert_eq!(held.status, 201, "{}", held.text);
    let form = "#hold-back";
    browser.fill("row", "1").await?;
    browser.fill("seats", "1-2").await?;
    browser.fill("reason", "House seats").await?;
    browser.click(&format!("{form} button")).await?;
    browser
        .wait_for_text("#notice", "2 seat(s) held back", 10)
        .await?;
    assert!(
        browser
            .text_of("#held-back", 2)
            .await?
            .contains("House seats")
    );
    browser.fill("row", "2").await?;
    browser.fill("reason", "Production hold").await?;
    browser.click(&format!("{form} button")).await?;
    let refusal = browser.wait_for_text("#error", "not free", 10).await?;
    assert!(refusal.contains("A-2-3 (held)"), "{refusal}");
    let released = app
        .call(
            "DELETE",
            &format!(
                "/reservations/{}?customerId=fan-2",
                held.json["reservationId"].as_str().unwrap_or_default()
            ),
            None,
        )
        .await?;
    assert_eq!(released.status, 200, "{}", released.text);
    let mark = browser
        .find(Locator::Css("#access input[name=row]"))
        .await?;
    mark.send_keys("2").await?;
    browser
        .find(Locator::Css("#access input[name=seats]"))
        .await?
        .send_keys("5-6")
        .await?;
    browser.click("#access button").await?;
    browser
        .wait_for_text("#notice", "2 seat(s) marked", 10)
        .await?;
    assert!(browser.text_of("#marked", 2).await?.contains("wheelchair"));
    browser.screenshot("09g-admin-held-back").await?;
    browser.assert_accessible("the held-back seats").await?;
    browser.click("#held-back button").await?;
    browser
        .wait_for_text("#notice", "1 seat(s) released", 10)
        .await?;
    let held_back_path = format!("{event_path}/held-back");
    // The box office gives the other held-back seat away (a comp) to a named guest.
    let sell = |field: &'static str| format!("#box-office [name={field}]");
    for (field, value) in [
        ("row", "1"),
        ("seats", "2"),
        ("buyer_name", "Guest List"),
        ("email", "guest@example.com"),
    ] {
        browser
            .find(Locator::Css(&sell(field)))
            .await?
            .send_keys(value)
            .await?;
    }
    browser
        .execute(
            "document.querySelector('#box-office [name=method]').value = 'comp';",
            vec![],
        )
        .await?;
    browser.click("#box-office button").await?;
    browser
        .wait_for_text("#notice", "Sold at the box office", 10)
        .await?;
    eventually(
        Duration::from_secs(15),
        "the comp ticket issued",
        || async {
            browser.refresh().await?;
            Ok(browser.text_of("#order-state", 5).await? == "completed")
        },
    )
    .await?;
    assert!(
        browser
            .text_of("p.when", 2)
            .await?
            .contains("guest@example.com")
    );
    browser.screenshot("09h-admin-box-office-order").await?;

    // Editing: section B costs 70.00 from now on, for new buyers.
    browser
        .goto(&url(&app, &format!("{event_path}/edit")))
        .await?;
    let prices = browser
        .find_all(Locator::Css("#prices input[name=price]"))
        .await?;
    assert_eq!(prices.len(), 2, "one price a section");
    prices[1].clear().await?;
    prices[1].send_keys("70.00").await?;
    browser.screenshot("13b-admin-edit").await?;
    browser.assert_accessible("the edit page").await?;
    browser.click("#prices button").await?;
    browser.wait_for_text("#sold", "", 10).await?;
    let map = crate::helpers::seat_map(&app, &event).await;
    let b = map["seats"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["sectionCode"] == "B"))
        .cloned()
        .expect("a seat of B");
    assert_eq!(b["price"], json!(70.0), "{b}");

    browser.goto(&url(&app, "/ui/admin/orders?q=fan-1")).await?;
    browser.fill("q", "nobody").await?;
    browser.click("form.search button").await?;
    browser
        .wait_for_text("#no-orders", "No order matches", 10)
        .await?;

    // On a phone (375 px wide) no admin page scrolls sideways.
    browser.set_window_size(375, 812).await?;
    let pages = [
        ("/ui/admin".to_string(), "11-admin-events-phone"),
        (event_path.clone(), "12-admin-dashboard-phone"),
        (format!("{event_path}/edit"), "13-admin-edit-phone"),
        (format!("{event_path}/seats"), "14-admin-seats-phone"),
        ("/ui/admin/events/new".to_string(), "15-admin-new-phone"),
        (
            "/ui/admin/orders?q=fan-1".to_string(),
            "16-admin-orders-phone",
        ),
        (
            format!("/ui/admin/orders/{order_id}"),
            "17-admin-order-phone",
        ),
        (held_back_path.clone(), "18c-admin-held-back-phone"),
    ];
    for (path, shot) in pages {
        browser.goto(&url(&app, &path)).await?;
        fits_a_phone(&browser, &path, shot).await?;
    }
    browser.set_window_size(1280, 1000).await?;

    // Deactivating asks first, saying what it does; cancelling changes nothing.
    browser.goto(&url(&app, &event_path)).await?;
    browser.click("button.danger").await?;
    browser.wait_for_text("h1", "off sale?", 10).await?;
    browser.screenshot("09b-admin-confirm-deactivation").await?;
    browser
        .assert_accessible("the deactivation question")
        .await?;
    browser.click("form.actions a.button").await?;
    browser.wait_for_text("p.when", "on sale", 10).await?;
    browser.click("button.danger").await?;
    browser.wait_for_text("h1", "off sale?", 10).await?;
    browser.click("#confirm").await?;
    browser.wait_for_text("p.when", "inactive", 10).await?;
    browser.goto(&url(&app, "/")).await?;
    assert!(!browser.text_of("main", 5).await?.contains("Browser Night"));
    browser.quit().await;
    Ok(())
}

#[tokio::test]
async fn door_staff_added_by_an_admin_checks_tickets_in_until_removed() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let (_, seats) = create_event(&app, 1, 2).await;
    let order = pending_order(&app, &seats, "door-fan").await;
    assert_eq!(
        pay(&app, &order, "door-fan", json!(50.00)).await.status,
        200
    );
    let order_id = order["id"].as_str().unwrap_or_default().to_owned();
    let tickets_url = format!("/orders/{order_id}/tickets?userId=door-fan");
    eventually(Duration::from_secs(10), "the tickets", || async {
        Ok(app.get(&tickets_url).await?.json.as_array().map(Vec::len) == Some(2))
    })
    .await?;
    let tickets = app.get(&tickets_url).await?.json;
    let qr_of = |i: usize| tickets[i]["qr"].as_str().unwrap_or_default().to_owned();
    // The second seat is refunded before the doors open.
    let refunded = app
        .admin(
            "POST",
            &format!("/admin/orders/{order_id}/refund"),
            Some(json!({"seatIds": [tickets[1]["seatId"]], "reason": "Sold twice"})),
        )
        .await?;
    assert_eq!(refunded.status, 200, "{}", refunded.text);

    // The administrator adds a door-staff account in the back office.
    let admin = Browser::launch().await?;
    sign_in(&admin, &app, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    admin.wait_for_text("h1", "Events", 10).await?;
    admin.click("a[href=\"/ui/admin/staff\"]").await?;
    admin.wait_for_text("h1", "Door staff", 10).await?;
    admin.fill("email", "door@example.com").await?;
    admin.fill("password", "Passw0rd!").await?;
    admin.click("#add-staff button").await?;
    admin
        .wait_for_text("#notice", "can now sign in", 10)
        .await?;
    admin
        .wait_for_text("#staff", "door@example.com", 10)
        .await?;
    admin.screenshot("18-admin-staff").await?;
    admin.assert_accessible("the door-staff page").await?;
    admin.set_window_size(375, 812).await?;
    admin.refresh().await?;
    fits_a_phone(&admin, "/ui/admin/staff", "18b-admin-staff-phone").await?;
    admin.set_window_size(1280, 1000).await?;

    let browser = Browser::launch().await?;
    sign_in(&browser, &app, "door@example.com", "Passw0rd!").await?;
    browser.wait_for_text("h1", "Check-in", 10).await?;
    browser.assert_accessible("the check-in page").await?;
    browser.fill("token", &qr_of(0)).await?;
    browser.click("form button.primary").await?;
    let first = browser.wait_for_text("#verdict", "Welcome in", 10).await?;
    assert!(first.contains("Test Night"), "{first}");
    assert!(
        browser.find(Locator::Css("#verdict.ok")).await.is_ok(),
        "green"
    );
    browser.screenshot("10-checkin-admitted").await?;

    browser.fill("token", &qr_of(0)).await?;
    browser.click("form button.primary").await?;
    browser
        .wait_for_text("#verdict", "Already used", 10)
        .await?;
    assert!(
        browser.find(Locator::Css("#verdict.refused")).await.is_ok(),
        "red"
    );
    browser.screenshot("11-checkin-refused").await?;

    browser.fill("token", &qr_of(1)).await?;
    browser.click("form button.primary").await?;
    let void = browser
        .wait_for_text("#verdict", "Ticket refunded", 10)
        .await?;
    assert!(void.contains("no longer admits"), "{void}");
    browser.screenshot("11b-checkin-refunded").await?;

    browser.fill("token", "not-a-ticket").await?;
    browser.click("form button.primary").await?;
    browser
        .wait_for_text("#verdict", "Not a valid ticket", 10)
        .await?;
    // A buyer cannot open the scanner.
    let buyer = Browser::launch().await?;
    buyer.goto(&url(&app, "/ui/checkin")).await?;
    assert!(buyer.current_url().await?.path().ends_with("/ui/signin"));
    buyer.quit().await;

    // The administrator removes the account, after a question; the door is signed out at once.
    admin.click("#staff button.danger").await?;
    admin
        .wait_for_text("h1", "Remove door@example.com?", 10)
        .await?;
    admin.screenshot("19-admin-staff-remove").await?;
    admin.assert_accessible("the removal question").await?;
    admin.click("#confirm").await?;
    admin.wait_for_text("#notice", "was removed", 10).await?;
    browser.goto(&url(&app, "/ui/checkin")).await?;
    assert!(
        browser.current_url().await?.path().ends_with("/ui/signin"),
        "a removed account is signed out"
    );
    admin.quit().await;
    browser.quit().await;
    Ok(())
}

/// The link an offer e-mail (an `.eml` file without SMTP) carries, as a path.
fn offer_link(app: &TestServer) -> Option<String> {
    let dir = app.data_dir().join("mail");
    std::fs::read_dir(dir).ok()?.flatten().find_map(|f| {
        let raw = std::fs::read_to_string(f.path()).ok()?;
        // Undo quoted-printable soft breaks and `=3D`.
        let text = raw
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=");
        let start = text.find("/ui/waitlist/")?;
        let link: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        Some(link)
    })
}

#[tokio::test]
async fn a_sold_out_event_takes_a_waiting_list_and_the_offer_page_sells_the_seat()
-> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let (event, seats) = create_event(&app, 1, 1).await;
    let seat = seats[0]["id"].as_str().unwrap_or_default().to_owned();
    let held = hold(&app, &seat, "early-bird").await;
    assert_eq!(held.status, 201, "{}", held.text);

    let browser = Browser::launch().await?;
    browser
        .goto(&url(&app, &format!("/ui/events/{event}")))
        .await?;
    browser
        .wait_for_text("section.waitlist", "Sold out", 10)
        .await?;
    browser.fill("email", "patient@example.com").await?;
    browser.screenshot("12-sold-out-waitlist").await?;
    browser.click("section.waitlist button").await?;
    assert_eq!(browser.text_of("#position", 10).await?, "1");

    // The early bird lets go; the seat goes to the line, and the e-mail links to the offer.
    let release = app
        .call(
            "DELETE",
            &format!(
                "/reservations/{}?customerId=early-bird",
                held.json["reservationId"].as_str().unwrap_or_default()
            ),
            None,
        )
        .await?;
    assert!(release.status < 300, "{}", release.text);
    eventually(Duration::from_secs(10), "the offer e-mail", || async {
        Ok(offer_link(&app).is_some())
    })
    .await?;
    let link = offer_link(&app).unwrap_or_default();
    assert!(link.contains("?token="), "{link}");
    browser.goto(&url(&app, &link)).await?;
    // The token leaves the address bar once the browser holds it.
    assert!(browser.current_url().await?.query().is_none());
    browser
        .wait_for_text("main", "A seat is held for you", 10)
        .await?;
    browser.screenshot("13-waitlist-offer").await?;
    browser.click("a.button.primary").await?;
    browser.click("#pay").await?;
    browser.wait_for_text("h1", "completed", 10).await?;
    browser
        .wait_for_text("ul.tickets", "A · row 1 · seat 1", 15)
        .await?;
    browser.quit().await;
    Ok(())
}

#[tokio::test]
async fn a_new_account_buys_a_seat_and_finds_the_order_under_my_orders() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let browser = Browser::launch().await?;
    browser.goto(&url(&app, "/ui/register")).await?;
    browser.fill("email", "new.fan@example.com").await?;
    browser.fill("password", "Sup3r-secret!").await?;
    browser.click("form.stack button").await?;
    browser
        .wait_for_text("header", "new.fan@example.com", 10)
        .await?;

    hold_a11_and_open_the_cart(&browser, &app).await?;
    // Signed in, the tickets go to the account: no e-mail to type.
    let form = browser
        .text_of("form[action=\"/ui/cart/checkout\"]", 5)
        .await?;
    assert!(form.contains("new.fan@example.com"), "{form}");
    browser
        .click("form[action=\"/ui/cart/checkout\"] button")
        .await?;
    browser.click("#pay").await?;
    browser.wait_for_text("h1", "completed", 10).await?;

    browser.goto(&url(&app, "/ui/orders")).await?;
    let orders = browser.text_of("table.lines", 5).await?;
    assert!(
        orders.contains("completed") && orders.contains("$50.00"),
        "{orders}"
    );
    // Signing out forgets the session: the list is empty again.
    browser.click("form[action=\"/ui/signout\"] button").await?;
    // Wait for the sign-out's page: navigating at once could cancel the form's request.
    browser.wait_for_text("header", "Sign in", 10).await?;
    browser.goto(&url(&app, "/ui/orders")).await?;
    assert!(browser.text_of("main", 5).await?.contains("No orders yet"));
    browser.quit().await;
    Ok(())
}

/// The API documentation renders in a browser with no network: the Swagger UI comes from the
/// binary and lists the operations of `/openapi.json`.
#[tokio::test]
async fn the_api_documentation_renders_every_operation() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let browser = Browser::launch().await?;
    browser.goto(&url(&app, "/docs")).await?;
    browser
        .wait_for_text(".swagger-ui .title", "Boxoffice", 20)
        .await?;
    let paths = browser
        .find_all(Locator::Css(".opblock-summary-path"))
        .await?;
    let mut shown = Vec::new();
    for path in paths {
        shown.push(path.text().await?);
    }
    assert!(
        shown.iter().any(|p| p.contains("/orders/checkout")),
        "{shown:?}"
    );
    assert!(shown.len() >= 28, "{} operations: {shown:?}", shown.len());
    browser.screenshot("api-docs").await?;
    browser.quit().await;
    Ok(())
}

#[tokio::test]
async fn an_operator_sees_a_parked_event_with_its_error_and_puts_it_back() -> anyhow::Result<()> {
    let mut app = spawn_with(&["--no-demo"]).await;
    // An `order-completed` nobody can read, parked as the relay parks it after ten failures
    // (the parking itself: outbox tests, and `split_recovery` for a split deployment).
    app.crash().await?;
    let db = match app.database_url() {
        Some(url) => storage::Database::open_postgres(url, 2).await?,
        None => storage::Database::open_in_dir(app.data_dir()).await?,
    };
    let now = chrono::Utc::now();
    let mut tx = db.begin().await?;
    let message = storage::enqueue(
        tx.conn(),
        &crate::split_recovery::Unreadable {
            order_id: "not-an-order",
            key: "poisoned",
        },
        now,
    )
    .await?;
    storage::Statement::new(
        "update outbox_messages set attempts = 10, parked_at = $2, published_at = $2,
           last_error = 'consumer fulfillment failed on order-completed: missing field `items`'
         where message_id = $1",
    )
    .bind(message.uuid())
    .bind(kernel::to_micros(now))
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    db.close().await;
    app.restart().await?;

    let admin = Browser::launch().await?;
    sign_in(&admin, &app, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    admin.wait_for_text("h1", "Events", 10).await?;
    admin.click("a[href=\"/ui/admin/outbox\"]").await?;
    admin.wait_for_text("h1", "Event delivery", 10).await?;
    let row = admin
        .wait_for_text("#parked", "order-completed", 10)
        .await?;
    assert!(
        row.contains("poisoned") && row.contains("every consumer"),
        "{row}"
    );
    assert!(
        admin
            .text_of("#no-consumers", 5)
            .await?
            .contains("One process")
    );
    admin.screenshot("20-admin-event-delivery").await?;
    admin.assert_accessible("the event-delivery page").await?;
    admin.set_window_size(375, 812).await?;
    admin.refresh().await?;
    fits_a_phone(&admin, "/ui/admin/outbox", "20b-admin-event-delivery-phone").await?;
    admin.set_window_size(1280, 1000).await?;

    admin.click("#parked button.primary").await?;
    let notice = admin.wait_for_text("#notice", "queued again", 10).await?;
    assert!(notice.contains(&message.to_string()), "{notice}");
    let parked = app.admin("GET", "/admin/outbox/parked", None).await?;
    assert_eq!(parked.json, json!([]), "{}", parked.text);
    admin.quit().await;
    Ok(())
}

/// WebDriver's keys (the W3C codes).
const TAB: &str = "\u{e004}";
const ENTER: &str = "\u{e007}";
const RIGHT: &str = "\u{e014}";
const DOWN: &str = "\u{e015}";

/// The accessible name of the element that has the focus.
async fn focused_name(browser: &Browser) -> anyhow::Result<String> {
    let name = browser
        .execute(
            "const a = document.activeElement; return a ? (a.getAttribute('aria-label') || '') : '';",
            vec![],
        )
        .await?;
    Ok(name.as_str().unwrap_or_default().to_string())
}

/// Presses `key` on whatever has the focus.
async fn press(browser: &Browser, key: &str) -> anyhow::Result<()> {
    browser.active_element().await?.send_keys(key).await?;
    Ok(())
}

#[tokio::test]
async fn on_a_phone_a_buyer_picks_seats_by_keyboard_and_by_best_available_and_pays()
-> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let (id, seats) = crate::helpers::create_event_with(
        &app,
        json!({"name": "Keyboard Night", "eventDate": "2099-07-01T20:00:00Z", "basePrice": "1200.00", "timeZone": "Europe/Berlin"}),
        json!([
            {"sectionCode": "A", "rows": 3, "seatsPerRow": 10, "priceMultiplier": 1},
            {"sectionCode": "VIP", "rows": 2, "seatsPerRow": 8, "priceMultiplier": 2}
        ]),
    )
    .await;
    let wheelchair = seats
        .iter()
        .find(|s| s["sectionCode"] == "A" && s["rowNumber"] == 3 && s["seatNumber"] == 1)
        .and_then(|s| s["id"].as_str())
        .expect("A-3-1")
        .to_string();
    let marked = app
        .admin(
            "POST",
            &format!("/admin/events/{id}/seats/access"),
            Some(json!({"seatIds": [wheelchair], "access": "wheelchair"})),
        )
        .await?;
    assert_eq!(marked.status, 200, "{}", marked.text);

    let browser = Browser::launch().await?;
    browser.set_window_size(375, 812).await?;
    let path = format!("/ui/events/{id}");
    browser.goto(&url(&app, &path)).await?;
    // The event's own clock, and prices as the currency writes them.
    assert!(
        browser.text_of("p.when", 5).await?.contains("20:00 CET")
            || browser.text_of("p.when", 1).await?.contains("CEST")
    );
    let prices = browser.text_of("ul.prices", 2).await?;
    assert!(prices.contains("Section VIP · $2,400.00"), "{prices}");
    fits_a_phone(&browser, &path, "21-event-map-phone").await?;

    // Keyboard only: Tab reaches one seat of the map (the first free one, in the front row of
    // the dearest section); the arrows move; each seat says where it is, its price and state.
    let mut reached = false;
    for _ in 0..40 {
        press(&browser, TAB).await?;
        if focused_name(&browser).await?.starts_with("Section ") {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached a seat");
    assert_eq!(
        focused_name(&browser).await?,
        "Section VIP, row 1, seat 1, $2,400.00: free"
    );
    press(&browser, RIGHT).await?;
    press(&browser, DOWN).await?;
    assert_eq!(
        focused_name(&browser).await?,
        "Section VIP, row 2, seat 2, $2,400.00: free"
    );
    let shown = browser.text_of("#hover", 2).await?;
    assert!(
        shown.contains("VIP · row 2 · seat 2 · $2,400.00"),
        "price on focus: {shown}"
    );
    press(&browser, ENTER).await?;
    let said = browser.wait_for_text("#message", "yours", 10).await?;
    assert!(said.contains("VIP · row 2 · seat 2"), "{said}");
    assert_eq!(
        focused_name(&browser).await?,
        "Section VIP, row 2, seat 2, $2,400.00: in your cart"
    );
    // The wheelchair space says so, and the filter leaves only such places in full view.
    let space = browser.find(Locator::Css(&seat_css(&wheelchair))).await?;
    assert!(
        space
            .attr("aria-label")
            .await?
            .unwrap_or_default()
            .contains("wheelchair space")
    );
    browser.click("#access-only").await?;
    let dimmed = browser
        .execute("return getComputedStyle(document.querySelector('.seat.available:not(.wheelchair)')).opacity;", vec![])
        .await?;
    assert_eq!(dimmed.as_str(), Some("0.15"), "other seats are dimmed");
    browser.click("#access-only").await?;
    browser.screenshot("22-event-map-keyboard-phone").await?;

    // Best available: three more, side by side nearest the stage, in one step.
    let quantity = browser
        .find(Locator::Css("#best-form select[name=quantity]"))
        .await?;
    quantity.select_by_value("3").await?;
    browser.click("#best-button").await?;
    let said = browser.wait_for_text("#message", "seats 3–5", 10).await?;
    // (The keyboard's hold said "in your cart" too: this waits for the new answer.)
    assert!(
        said.contains("VIP · row 1 · seats 3–5 — yours until"),
        "the front row of the dearest section, in the middle: {said}"
    );
    assert_eq!(browser.text_of("#in-cart", 2).await?, "4");
    let mine = browser
        .find_all(Locator::Css("svg.seatmap .seat.mine"))
        .await?;
    assert_eq!(mine.len(), 4);
    browser.screenshot("23-event-best-available-phone").await?;
    // Three more would pass the limit of six: the refusal says so.
    browser.click("#best-button").await?;
    let refused = browser
        .wait_for_text("#message", "at most 2 more", 10)
        .await?;
    assert!(!refused.contains("already reserved"), "{refused}");
    browser.assert_accessible(&path).await?;

    // The cart and the payment, by keyboard.
    browser.goto(&url(&app, "/ui/cart")).await?;
    assert!(browser.text_of("tfoot", 5).await?.contains("$9,600.00"));
    let email = browser.find(Locator::Css("input[name=email]")).await?;
    email.send_keys(&format!("keys@example.com{ENTER}")).await?;
    browser.text_of("#pay", 10).await?;
    browser
        .find(Locator::Css("#pay"))
        .await?
        .send_keys(ENTER)
        .await?;
    browser.wait_for_text("h1", "completed", 15).await?;
    browser
        .wait_for_text("ul.tickets", "VIP · row 2 · seat 2", 15)
        .await?;
    browser.screenshot("24-order-completed-phone").await?;
    browser.quit().await;
    Ok(())
}

#[tokio::test]
async fn a_large_venue_opens_as_its_sections_and_each_shows_its_own_seats() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let sections: Vec<_> = ["East", "North", "West"]
        .iter()
        .map(|code| json!({"sectionCode": code, "rows": 30, "seatsPerRow": 30, "priceMultiplier": 1}))
        .collect();
    let (id, _) = crate::helpers::create_event_with(
        &app,
        json!({"name": "Arena Night", "basePrice": "30.00"}),
        json!(sections),
    )
    .await;

    let browser = Browser::launch().await?;
    browser.set_window_size(375, 812).await?;
    let path = format!("/ui/events/{id}");
    browser.goto(&url(&app, &path)).await?;
    // 2,700 seats: the map shows the sections, each with how many of its seats are free.
    let boxes = browser
        .find_all(Locator::Css("svg.seatmap a.section-box"))
        .await?;
    assert_eq!(boxes.len(), 3);
    assert!(
        browser
            .find_all(Locator::Css("svg.seatmap .seat"))
            .await?
            .is_empty()
    );
    let north = browser
        .text_of("a.section-box[href='?section=North']", 2)
        .await?;
    assert!(
        north.contains("Section North") && north.contains("900 of 900 free · $30.00"),
        "{north}"
    );
    fits_a_phone(&browser, &path, "25-large-venue-overview-phone").await?;

    browser
        .click("a.section-box[href='?section=North']")
        .await?;
    browser
        .wait_for_text(".map-tools", "Section North", 10)
        .await?;
    let seats = browser
        .find_all(Locator::Css("svg.seatmap .seat[data-id]"))
        .await?;
    assert_eq!(seats.len(), 900, "only North's seats");
    // A section alone opens at natural size: every seat at least 24 px across.
    let size = browser
        .execute("return document.querySelector('svg.seatmap .seat[data-id] .hit').getBoundingClientRect().width;", vec![])
        .await?;
    assert!(
        size.as_f64().is_some_and(|px| px >= 24.0),
        "a seat is {size} px"
    );
    browser.click("svg.seatmap .seat[data-id]").await?;
    let said = browser.wait_for_text("#message", "yours", 10).await?;
    assert!(said.contains("North · row 1 · seat 1"), "{said}");
    fits_a_phone(
        &browser,
        &format!("{path}?section=North"),
        "26-large-venue-section-phone",
    )
    .await?;
    browser.click(".map-tools a.button").await?;
    browser
        .wait_for_text(
            "a.section-box[href='?section=North']",
            "899 of 900 free",
            10,
        )
        .await?;
    browser.quit().await;
    Ok(())
}

/// Seat A-1-2 of the demo's Coldplay event.
const SEAT_A12: &str = "550e8400-e29b-41d4-a716-446655440002";

#[tokio::test]
async fn a_guest_who_signs_in_from_the_cart_keeps_every_seat_and_its_hold() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let browser = Browser::launch().await?;
    // A guest holds a seat, then creates an account from the cart.
    hold_a11_and_open_the_cart(&browser, &app).await?;
    let guest = browser
        .get_named_cookie("bo_guest")
        .await?
        .value()
        .to_string();
    browser
        .click("a[href=\"/ui/signin?next=/ui/cart\"]")
        .await?;
    browser
        .click("a[href=\"/ui/register?next=/ui/cart\"]")
        .await?;
    submit_credentials(&browser, "cart.keeper@example.com", "Keep-my-seats-1").await?;
    browser
        .wait_for_text("header", "cart.keeper@example.com", 10)
        .await?;
    let cart = browser.text_of("table.lines", 5).await?;
    assert!(
        cart.contains("A · row 1 · seat 1"),
        "the seat is still in the cart: {cart}"
    );
    assert!(
        browser
            .text_of("form[action=\"/ui/cart/checkout\"]", 2)
            .await?
            .contains("cart.keeper@example.com")
    );
    browser.screenshot("27-cart-kept-after-sign-in").await?;

    // The account owns the cart and the hold; the guest owns neither any more.
    let token = app
        .login("cart.keeper@example.com", "Keep-my-seats-1")
        .await?;
    let orders = app
        .call_with_token(Some(&token), "GET", "/orders", None)
        .await?;
    let draft = orders
        .json
        .as_array()
        .and_then(|o| o.iter().find(|o| o["state"] == "draft"))
        .cloned()
        .expect("the account's cart");
    let hold = draft["items"][0]["reservationId"]
        .as_str()
        .expect("its hold")
        .to_string();
    let held = app
        .call_with_token(Some(&token), "GET", &format!("/reservations/{hold}"), None)
        .await?;
    assert_eq!(
        (held.status, held.json["status"].as_str()),
        (200, Some("active")),
        "{}",
        held.text
    );
    let as_guest = app
        .get(&format!("/reservations/{hold}?customerId={guest}"))
        .await?;
    assert_eq!(
        as_guest.status, 404,
        "the guest no longer holds it: {}",
        as_guest.text
    );
    let guest_orders = app.get(&format!("/orders?guestToken={guest}")).await?;
    assert!(
        guest_orders
            .json
            .as_array()
            .is_some_and(|o| o.iter().all(|o| o["state"] != "draft")),
        "no cart left to the guest: {}",
        guest_orders.text
    );

    // Signed out, a new guest holds another seat and signs in: the two carts become one.
    browser.click("form[action=\"/ui/signout\"] button").await?;
    browser.wait_for_text("header", "Sign in", 10).await?;
    browser
        .goto(&url(&app, &format!("/ui/events/{COLDPLAY}")))
        .await?;
    browser.click(&seat_css(SEAT_A12)).await?;
    browser.wait_for_text("#message", "yours", 10).await?;
    browser.goto(&url(&app, "/ui/signin?next=/ui/cart")).await?;
    submit_credentials(&browser, "cart.keeper@example.com", "Keep-my-seats-1").await?;
    browser
        .wait_for_text("header", "cart.keeper@example.com", 10)
        .await?;
    let cart = browser.text_of("table.lines", 5).await?;
    assert!(
        cart.contains("A · row 1 · seat 1") && cart.contains("A · row 1 · seat 2"),
        "{cart}"
    );
    assert!(cart.contains("$100.00"), "one total: {cart}");
    browser
        .click("form[action=\"/ui/cart/checkout\"] button")
        .await?;
    browser.click("#pay").await?;
    browser.wait_for_text("h1", "completed", 10).await?;
    browser.quit().await;
    Ok(())
}

#[tokio::test]
async fn a_lapsed_cart_offers_its_seats_again_and_an_unpaid_order_can_be_cancelled()
-> anyhow::Result<()> {
    // Holds of 10 s: long enough to reach the cart and extend them on a loaded machine, short
    // enough to watch them lapse.
    let app = spawn_with(&["--hold-seconds", "10"]).await;
    let browser = Browser::launch().await?;
    browser
        .goto(&url(&app, &format!("/ui/events/{COLDPLAY}")))
        .await?;
    for seat in [SEAT_A11, SEAT_A12] {
        browser.click(&seat_css(seat)).await?;
        browser.wait_for_text("#in-cart", "", 5).await?;
    }
    browser.wait_for_text("#in-cart", "2", 10).await?;
    browser.goto(&url(&app, "/ui/cart")).await?;
    // Less than two minutes left: the cart says so, and the demo event lets the buyer keep the
    // seats once for another hold time (10 s here).
    browser
        .wait_for_text("#hold-warning", "less than two minutes", 5)
        .await?;
    browser.click("#extend").await?;
    browser
        .wait_for_text("#held-again", "held until", 10)
        .await?;
    // The holds lapse: the cart says what happened and offers them again, not a checkout.
    let said = browser.wait_for_text("#expired", "ran out", 40).await?;
    assert!(said.contains("hold them again"), "{said}");
    assert!(
        browser
            .find_all(Locator::Css("form[action=\"/ui/cart/checkout\"]"))
            .await?
            .is_empty()
    );
    browser.screenshot("28-cart-holds-ran-out").await?;
    // Someone else takes A-1-2 meanwhile.
    eventually(
        Duration::from_secs(10),
        "A-1-2 to be free for another buyer",
        || {
            let app = &app;
            async move { Ok(hold(app, SEAT_A12, "someone-else").await.status == 201) }
        },
    )
    .await?;
    browser.click("#expired button").await?;
    let again = browser
        .wait_for_text("#held-again", "Held again", 10)
        .await?;
    assert!(
        again.contains("Held again for you: A · row 1 · seat 1")
            && again.contains("removed from your cart: A · row 1 · seat 2"),
        "{again}"
    );
    let cart = browser.text_of("table.lines", 2).await?;
    assert!(
        cart.contains("seat 1") && !cart.contains("seat 2"),
        "{cart}"
    );
    browser.screenshot("29-cart-held-again").await?;
    browser.quit().await;

    // A declined card: the order can be cancelled, and its seat is on sale again.
    let app = spawn_with(&["--no-demo"]).await;
    let (event, seats) = crate::helpers::create_priced_event(&app, "20.13", 1, 2).await;
    let seat = seats[0]["id"].as_str().expect("seat").to_string();
    let browser = Browser::launch().await?;
    browser
        .goto(&url(&app, &format!("/ui/events/{event}")))
        .await?;
    browser.click(&seat_css(&seat)).await?;
    browser.wait_for_text("#message", "yours", 10).await?;
    browser.goto(&url(&app, "/ui/cart")).await?;
    check_out_as_guest(&browser, "declined@example.com").await?;
    browser.click("#pay").await?;
    browser
        .wait_for_text("p.notice.error", "declined", 10)
        .await?;
    browser.click("#cancel-order").await?;
    browser.wait_for_text("h1", "cancelled", 10).await?;
    browser.assert_accessible("a cancelled order").await?;
    eventually(
        Duration::from_secs(10),
        "the seat to be on sale again",
        || {
            let (app, event, seat) = (&app, &event, &seat);
            async move { Ok(crate::helpers::seat_status(app, event, seat).await == "available") }
        },
    )
    .await?;
    browser.quit().await;
    Ok(())
}

#[tokio::test]
async fn after_paying_the_buyer_lands_on_a_confirmation_with_the_tickets() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let browser = Browser::launch().await?;
    hold_a11_and_open_the_cart(&browser, &app).await?;
    check_out_as_guest(&browser, "thanks@example.com").await?;
    browser.click("#pay").await?;
    let thanks = browser
        .wait_for_text("#confirmation", "confirmed", 10)
        .await?;
    assert!(
        thanks.contains("$50.00") && thanks.contains("thanks@example.com"),
        "{thanks}"
    );
    // Checked at once, while the tickets may still be being issued and the page looks again
    // by itself (a meta refresh there was a critical finding).
    browser
        .assert_accessible("the confirmation, tickets on their way")
        .await?;
    browser
        .wait_for_text("ul.tickets", "A · row 1 · seat 1", 15)
        .await?;
    browser.assert_accessible("the confirmation").await?;
    browser.screenshot("30-order-confirmation").await?;
    browser.quit().await;
    Ok(())
}

#[tokio::test]
async fn an_organiser_imports_a_curved_hall_with_categories_and_a_buyer_picks_by_category()
-> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let event = crate::layouts::empty_event(&app).await;
    let browser = Browser::launch().await?;
    sign_in(&browser, &app, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    browser.wait_for_text("h1", "Events", 10).await?;

    // Categories, one per line.
    browser
        .goto(&url(&app, &format!("/ui/admin/events/{event}/seats")))
        .await?;
    browser
        .fill(
            "categories",
            "Stalls, #1f77b4, 80.00\nBalcony, #b54708, 45.00",
        )
        .await?;
    browser.click("#save-categories").await?;
    browser
        .wait_for_text("#categories-text", "Balcony, #b54708, 45.00", 10)
        .await?;

    // A layout with a bad line: the page names it and keeps the text; nothing is added.
    let set_layout = |text: String| {
        let browser = &browser;
        async move {
            browser
                .execute(
                    "document.getElementById('layout-text').value = arguments[0];",
                    vec![json!(text)],
                )
                .await
        }
    };
    let mut bad = crate::layouts::hall_csv();
    bad.push_str("BALC,1,7,9,6,Gallery\n");
    set_layout(bad).await?;
    browser.click("#import-layout").await?;
    let said = browser
        .wait_for_text("#import .notice.error", "Line 26", 10)
        .await?;
    let focused = browser
        .execute("return document.activeElement.id;", vec![])
        .await?;
    assert_eq!(
        focused.as_str(),
        Some("layout-text"),
        "the refused form's field has the focus"
    );
    assert!(
        said.contains("\"Gallery\" is not one of this event's categories"),
        "{said}"
    );
    let kept = browser.text_of("#layout-text", 5).await?;
    assert!(kept.contains("BALC,1,7,9,6,Gallery"), "the text is kept");
    browser
        .assert_accessible("the layout page with an error")
        .await?;
    browser.screenshot("31-admin-layout-import-error").await?;
    set_layout(crate::layouts::hall_csv()).await?;
    browser.click("#import-layout").await?;
    browser.wait_for_text("#sold", "0", 10).await?;

    // The buyer's map: curved rows in the categories' colours, the legend with prices, and
    // each seat saying its category.
    browser
        .goto(&url(&app, &format!("/ui/events/{event}")))
        .await?;
    let legend = browser.text_of("ul.categories", 10).await?;
    assert!(
        legend.contains("Stalls · $80.00 · 18 free")
            && legend.contains("Balcony · $45.00 · 6 free"),
        "{legend}"
    );
    let seats = crate::helpers::seat_map(&app, &event).await["seats"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let seat_of = |section: &str, row: i64, number: i64| {
        seats
            .iter()
            .find(|s| {
                s["sectionCode"] == section && s["rowNumber"] == row && s["seatNumber"] == number
            })
            .and_then(|s| s["id"].as_str())
            .map(str::to_owned)
            .expect("seat")
    };
    let (end, middle) = (seat_of("STALLS", 1, 1), seat_of("STALLS", 1, 5));
    let y_of = |seat: String| {
        let browser = &browser;
        async move {
            let g = browser.find(Locator::Css(&seat_css(&seat))).await?;
            let transform = g.attr("transform").await?.unwrap_or_default();
            anyhow::Ok(
                transform
                    .trim_end_matches(')')
                    .rsplit(' ')
                    .next()
                    .and_then(|y| y.parse::<i64>().ok())
                    .unwrap_or_default(),
            )
        }
    };
    assert!(
        y_of(end.clone()).await? < y_of(middle.clone()).await?,
        "row 1 bends around the stage: its ends stand nearer the top"
    );
    let named = browser
        .find(Locator::Css(&seat_css(&middle)))
        .await?
        .attr("aria-label")
        .await?
        .unwrap_or_default();
    assert_eq!(named, "Section STALLS, row 1, seat 5, Stalls, $80.00: free");
    let fill = browser
        .execute(
            "return getComputedStyle(document.querySelector(arguments[0] + ' .shape')).fill;",
            vec![json!(seat_css(&seat_of("BALC", 1, 1)))],
        )
        .await?;
    assert_eq!(
        fill.as_str(),
        Some("rgb(181, 71, 8)"),
        "a free seat in its category's colour"
    );

    // Best available in the Balcony: two seats side by side in its middle, in the cart.
    browser
        .find(Locator::Css("#best-form select[name=quantity]"))
        .await?
        .select_by_value("2")
        .await?;
    browser
        .find(Locator::Css("#best-category"))
        .await?
        .select_by_value("Balcony")
        .await?;
    browser.click("#best-button").await?;
    let said = browser.wait_for_text("#message", "seats 3–4", 10).await?;
    assert!(said.contains("BALC"), "{said}");
    assert!(
        seat_class(&browser, &seat_of("BALC", 1, 3))
            .await?
            .contains("mine"),
        "the map marks them as yours"
    );
    browser
        .assert_accessible("a curved hall with categories")
        .await?;
    browser.execute("window.scrollTo(0, 0);", vec![]).await?;
    browser
        .screenshot("32-event-curved-hall-categories")
        .await?;
    browser.quit().await;
    Ok(())
}

#[tokio::test]
async fn the_demo_theatre_is_drawn_in_curved_rows_with_its_price_categories() -> anyhow::Result<()>
{
    let app = spawn_demo_app().await;
    let browser = Browser::launch().await?;
    browser
        .goto(&url(
            &app,
            "/ui/events/22222222-2222-2222-2222-222222222222",
        ))
        .await?;
    let legend = browser.text_of("ul.categories", 10).await?;
    for words in [
        "Platea VIP",
        "Preferencia",
        "General · $100,000.00 · 600 free",
    ] {
        assert!(legend.contains(words), "{words}: {legend}");
    }
    let map = crate::helpers::seat_map(&app, "22222222-2222-2222-2222-222222222222").await;
    assert_eq!(map["stage"], json!({"x": 0.0, "y": -6.0}));
    let seats = map["seats"].as_array().cloned().unwrap_or_default();
    assert_eq!(seats.len(), 1_200);
    assert!(
        seats
            .iter()
            .all(|s| s["x"].is_number() && s["category"].is_string())
    );
    browser.assert_accessible("the demo theatre").await?;
    browser.screenshot("33-demo-theatre").await?;
    // On a phone the legend and the categories' picker fit the screen.
    browser.set_window_size(375, 812).await?;
    fits_a_phone(
        &browser,
        "/ui/events/22222222-2222-2222-2222-222222222222",
        "34-demo-theatre-phone",
    )
    .await?;
    browser.quit().await;
    Ok(())
}
