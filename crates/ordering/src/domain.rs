//! Orders, their lines and the buyer who owns them.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, OrderItemId, ReservationId, SeatId};

use crate::OrderingError;

/// Who is buying: a user id, a guest token, or both (the user id then decides, as in the
/// original).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    user_id: Option<String>,
    guest_token: Option<String>,
    email: Option<String>,
}

impl Buyer {
    /// A buyer from the optional fields of a request; blank values count as absent.
    ///
    /// # Errors
    /// [`OrderingError::MissingBuyer`] when both are absent, [`OrderingError::Invalid`] when one
    /// is longer than 256 characters or holds a control character.
    pub fn parse(user_id: Option<&str>, guest_token: Option<&str>) -> Result<Self, OrderingError> {
        let clean = |field: &str, v: Option<&str>| -> Result<Option<String>, OrderingError> {
            match v.map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) if s.chars().count() > 256 => Err(OrderingError::Invalid(format!(
                    "{field} must be at most 256 characters."
                ))),
                Some(s) if kernel::has_control_chars(s) => Err(OrderingError::Invalid(format!(
                    "{field} must not contain control characters."
                ))),
                other => Ok(other.map(str::to_owned)),
            }
        };
        let user_id = clean("userId", user_id)?;
        let guest_token = clean("guestToken", guest_token)?;
        if user_id.is_none() && guest_token.is_none() {
            return Err(OrderingError::MissingBuyer);
        }
        Ok(Self {
            user_id,
            guest_token,
            email: None,
        })
    }

    /// The same buyer with a verified e-mail address (from a JWT), where tickets are sent.
    pub fn with_email(mut self, email: Option<String>) -> Self {
        self.email = email;
        self
    }

    /// The verified e-mail address, if any.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The user id, if any.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The guest token, if any.
    pub fn guest_token(&self) -> Option<&str> {
        self.guest_token.as_deref()
    }

    /// The lock of this buyer's cart, for writes that run beside others (PostgreSQL).
    pub fn lock_key(&self) -> storage::LockKey {
        cart_key(self.user_id.as_deref(), self.guest_token.as_deref())
    }

    /// Whether this buyer owns `order`: by user id when one is given, else by guest token.
    pub fn owns(&self, order: &Order) -> bool {
        match (&self.user_id, &self.guest_token) {
            (Some(user), _) => order.user_id.as_deref() == Some(user.as_str()),
            (None, Some(token)) => order.guest_token.as_deref() == Some(token.as_str()),
            (None, None) => false,
        }
    }

    /// Whether a hold placed under `customer_id` is this buyer's.
    pub fn is_customer(&self, customer_id: &str) -> bool {
        self.user_id.as_deref() == Some(customer_id)
            || self.guest_token.as_deref() == Some(customer_id)
    }
}

/// The life of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// The cart.
    Draft,
    /// Checked out, awaiting payment.
    Pending,
    /// Paid.
    Completed,
    /// Given up, or a hold lapsed.
    Cancelled,
    /// Paid, then some of its seats refunded.
    PartiallyRefunded,
    /// Paid, then every seat refunded.
    Refunded,
}

impl OrderState {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
        }
    }

    /// Whether the order was paid (whatever was refunded since).
    pub fn was_paid(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::PartiallyRefunded | Self::Refunded
        )
    }

    /// Parses the storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "pending" => Some(Self::Pending),
            "completed" => Some(Self::Completed),
            "cancelled" => Some(Self::Cancelled),
            "partially_refunded" => Some(Self::PartiallyRefunded),
            "refunded" => Some(Self::Refunded),
            _ => None,
        }
    }
}

/// One seat in an order, priced by the catalogue when it was added.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    /// Line id.
    pub id: OrderItemId,
    /// The seat.
    pub seat_id: SeatId,
    /// The hold that keeps it.
    pub reservation_id: ReservationId,
    /// Price charged.
    pub price: Money,
    /// The seat's event.
    pub event_id: EventId,
    /// The event's name.
    pub event_name: String,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
    /// When the seat was refunded, if it was.
    pub refunded_at: Option<DateTime<Utc>>,
}

/// A seat whose hold ran out while it was in a cart: the line went, this remembers it.
#[derive(Debug, Clone, PartialEq)]
pub struct LapsedLine {
    /// The seat.
    pub seat_id: SeatId,
    /// Its event.
    pub event_id: EventId,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
    /// When its line left the cart.
    pub lapsed_at: DateTime<Utc>,
}

/// One sold seat, for sales reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Sale {
    /// When its order was paid.
    pub paid_at: DateTime<Utc>,
    /// Section code.
    pub section_code: String,
    /// Price paid.
    pub price: Money,
    /// When it was refunded, if it was.
    pub refunded_at: Option<DateTime<Utc>>,
}

/// What an organiser looks orders up by (`GET /admin/orders`); every part is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderSearch {
    /// Orders with a seat of this event.
    pub event: Option<EventId>,
    /// An e-mail address, a user id, a guest token, a box-office buyer's name (in any case), an
    /// order id or a ticket id, matched exactly.
    pub text: Option<String>,
    /// Orders in this state.
    pub state: Option<OrderState>,
    /// The page, from 1, of [`OrderSearch::PAGE_SIZE`] orders, newest first.
    pub page: u32,
    /// The order of the ticket `text` names, when it names one (found by the service).
    pub ticket_order: Option<OrderId>,
}

impl OrderSearch {
    /// Orders a page holds.
    pub const PAGE_SIZE: u32 = 50;
    /// The last page one may ask for (beyond it, narrow the search).
    pub const MAX_PAGE: u32 = 2_000;

    /// The search an organiser's input asks for: `text` and `state` trimmed (empty is none),
    /// `page` 1 when not given.
    ///
    /// # Errors
    /// [`OrderingError::Invalid`] for a state that is not `pending`, `completed`, `cancelled`,
    /// `partially_refunded` or `refunded`, or a page outside 1 to [`OrderSearch::MAX_PAGE`].
    pub fn new(
        event: Option<EventId>,
        text: Option<String>,
        state: Option<&str>,
        page: Option<u32>,
    ) -> Result<Self, OrderingError> {
        let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match OrderState::parse(s) {
                Some(state) if state != OrderState::Draft => Some(state),
                _ => {
                    return Err(OrderingError::Invalid(
                        "state must be pending, completed, partially_refunded, refunded or cancelled."
                            .into(),
                    ));
                }
            },
        };
        let page = page.unwrap_or(1);
        if !(1..=Self::MAX_PAGE).contains(&page) {
            return Err(OrderingError::Invalid(format!(
                "page must be between 1 and {}.",
                Self::MAX_PAGE
            )));
        }
        let text = text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        Ok(Self {
            event,
            text,
            state,
            page,
            ticket_order: None,
        })
    }
}

/// An order as the organiser's lists show it: the order, its buyer, its seats (of one event, in
/// an event's export; all of them in a search) and their sum.
#[derive(Debug, Clone, PartialEq)]
pub struct EventOrder {
    /// The order.
    pub id: OrderId,
    /// The buyer: their user id, else their guest token.
    pub buyer: String,
    /// Where the tickets go, when known.
    pub email: Option<String>,
    /// Its state (never a draft: carts are not orders yet).
    pub state: OrderState,
    /// Seats of this event in it.
    pub seats: i64,
    /// Their sum.
    pub amount: Money,
    /// Currency.
    pub currency: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
}

/// An order; a draft order is the buyer's cart.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Identifier.
    pub id: OrderId,
    /// Owner's user id.
    pub user_id: Option<String>,
    /// Owner's guest token.
    pub guest_token: Option<String>,
    /// State.
    pub state: OrderState,
    /// Currency of every line.
    pub currency: String,
    /// Lines, in the order they were added.
    pub items: Vec<OrderItem>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Payment instant.
    pub paid_at: Option<DateTime<Utc>>,
    /// Where the tickets go: a signed-in buyer's e-mail.
    pub customer_email: Option<String>,
    /// The buyer's name, when the box office took it.
    pub buyer_name: Option<String>,
}

impl Order {
    /// The lock its buyer's adds to the cart take ([`Buyer::lock_key`]): a write that must not
    /// run beside an add to this draft takes it too.
    pub fn cart_lock_key(&self) -> storage::LockKey {
        cart_key(self.user_id.as_deref(), self.guest_token.as_deref())
    }

    /// Sum of the lines' prices (invariant 2).
    pub fn total(&self) -> Money {
        self.items.iter().map(|i| i.price).sum()
    }

    /// The line for `seat`, if any.
    pub fn item_for(&self, seat: SeatId) -> Option<&OrderItem> {
        self.items.iter().find(|i| i.seat_id == seat)
    }

    /// Whether the order still holds seats (draft or pending).
    pub fn is_open(&self) -> bool {
        matches!(self.state, OrderState::Draft | OrderState::Pending)
    }
}

/// A sale at the box office: seats (free or held back) to a named buyer, at their price or
/// another (0: a comp ticket), paid in cash, by card or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxOfficeSale {
    /// The seats, at most [`BoxOfficeSale::MAX_SEATS`].
    pub seats: Vec<SeatId>,
    /// The buyer's name.
    pub buyer_name: String,
    /// Where the tickets go.
    pub email: String,
    /// Each seat's price, when not the catalogue's.
    pub price: Option<Money>,
    /// `cash`, `card` or `comp`.
    pub method: &'static str,
}

impl BoxOfficeSale {
    /// The most seats one sale takes.
    pub const MAX_SEATS: usize = 50;

    /// A sale from an organiser's input. A comp's price is 0 (another price is refused).
    ///
    /// # Errors
    /// [`OrderingError::Invalid`] for no seat or too many, a seat named twice, a missing or long
    /// name, an e-mail that is not one, a negative price, or an unknown payment method.
    pub fn new(
        seats: Vec<SeatId>,
        buyer_name: &str,
        email: &str,
        price: Option<Money>,
        method: &str,
    ) -> Result<Self, OrderingError> {
        let invalid = |m: &str| Err(OrderingError::Invalid(m.to_string()));
        if seats.is_empty() || seats.len() > Self::MAX_SEATS {
            return invalid("seatIds must name 1 to 50 seats.");
        }
        let mut unique = seats.clone();
        unique.sort_unstable_by_key(|s| s.uuid());
        unique.dedup();
        if unique.len() != seats.len() {
            return invalid("A seat is named twice in seatIds.");
        }
        let name = buyer_name.trim();
        if name.is_empty() || name.chars().count() > 200 || kernel::has_control_chars(name) {
            return invalid("buyerName is required: 1 to 200 characters.");
        }
        let email = email.trim();
        let parts: Vec<&str> = email.split('@').collect();
        if parts.len() != 2 || parts[0].is_empty() || !parts[1].contains('.') || email.len() > 254 {
            return invalid("email must be an e-mail address: the tickets are sent there.");
        }
        let method = match method.trim() {
            "cash" => "cash",
            "card" => "card",
            "comp" => "comp",
            _ => return invalid("paymentMethod must be cash, card or comp."),
        };
        let price = match (method, price) {
            ("comp", Some(p)) if p.cents() != 0 => {
                return invalid("A comp ticket costs nothing: leave price out or give 0.");
            }
            ("comp", _) => Some(Money::from_cents(0)),
            (_, Some(p)) if p.cents() < 0 => return invalid("price must not be negative."),
            (_, price) => price,
        };
        Ok(Self {
            seats,
            buyer_name: name.to_string(),
            email: email.to_ascii_lowercase(),
            price,
            method,
        })
    }
}

/// The buyer's e-mail address, when the user id or guest token is one.
pub(crate) fn email_of(order: &Order) -> Option<String> {
    [
        order.customer_email.as_deref(),
        order.user_id.as_deref(),
        order.guest_token.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find(|s| s.contains('@') && !s.starts_with('@') && !s.ends_with('@'))
    .map(str::to_owned)
}

/// The lock of a buyer's cart: by user id when there is one, else by guest token, the way a
/// buyer's draft is found.
fn cart_key(user: Option<&str>, guest: Option<&str>) -> storage::LockKey {
    match (user, guest) {
        (Some(user), _) => storage::LockKey::new("cart-of-user", user),
        (None, Some(guest)) => storage::LockKey::new("cart-of-guest", guest),
        (None, None) => storage::LockKey::new("cart-of-nobody", ""),
    }
}

/// Whether `buyer` may check `order` out: the buyer's own draft, with lines.
///
/// # Errors
/// [`OrderingError::Unauthorized`], [`OrderingError::NotDraft`] or [`OrderingError::Empty`].
pub(crate) fn check_checkout(order: &Order, buyer: &Buyer) -> Result<(), OrderingError> {
    if !buyer.owns(order) {
        return Err(OrderingError::Unauthorized);
    }
    if order.state != OrderState::Draft {
        return Err(OrderingError::NotDraft);
    }
    if order.items.is_empty() {
        return Err(OrderingError::Empty);
    }
    Ok(())
}

/// Every line's hold is still active, as inventory answers `holds` at the checkout.
///
/// # Errors
/// [`OrderingError::HoldExpired`] naming the first seat whose hold is not active.
pub(crate) fn check_holds_active(
    order: &Order,
    holds: &[crate::ports::HoldView],
) -> Result<(), OrderingError> {
    for item in &order.items {
        let active = holds.iter().any(|h| {
            h.reservation_id == item.reservation_id && h.state == crate::ports::HoldState::Active
        });
        if !active {
            return Err(OrderingError::HoldExpired(item.seat_id));
        }
    }
    Ok(())
}

/// The rules an add to the cart checks before it writes, on what the buyer sent and what
/// inventory and the catalogue answer.
pub(crate) mod cart {
    use kernel::{Money, ReservationId, SeatId};

    use super::{Buyer, Order, OrderItemId};
    use crate::OrderingError;
    use crate::ports::{HoldState, HoldView};

    /// The hold named by the request (a seat cannot be carted without one), and the price it
    /// names, if any, which must be positive.
    ///
    /// # Errors
    /// [`OrderingError::Invalid`] for either.
    pub(crate) fn check_request(
        reservation: Option<ReservationId>,
        price: Option<Money>,
    ) -> Result<ReservationId, OrderingError> {
        let reservation = reservation.ok_or_else(|| {
            OrderingError::Invalid(
                "reservationId is required: hold the seat first with POST /reservations.".into(),
            )
        })?;
        if let Some(price) = price.filter(|p| !p.is_positive()) {
            return Err(OrderingError::Invalid(format!(
                "price must be greater than zero, got {price}."
            )));
        }
        Ok(reservation)
    }

    /// The hold must be the buyer's, of this seat, and active.
    ///
    /// # Errors
    /// Another buyer's hold, another seat's, or a hold no longer active.
    pub(crate) fn check_hold(
        hold: &HoldView,
        buyer: &Buyer,
        seat: SeatId,
    ) -> Result<(), OrderingError> {
        if !buyer.is_customer(&hold.customer_id) {
            return Err(OrderingError::HoldNotOwned);
        }
        if hold.seat_id != seat {
            return Err(OrderingError::ReservationForOtherSeat);
        }
        match hold.state {
            HoldState::Active => Ok(()),
            HoldState::Expired => Err(OrderingError::ReservationExpired),
            other => Err(OrderingError::ReservationNotActive(other.as_str())),
        }
    }

    /// A price the client sent must be the catalogue's.
    ///
    /// # Errors
    /// [`OrderingError::PriceMismatch`].
    pub(crate) fn check_price(given: Option<Money>, actual: Money) -> Result<(), OrderingError> {
        match given.filter(|p| *p != actual) {
            Some(given) => Err(OrderingError::PriceMismatch {
                given: given.to_string(),
                actual: actual.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// The draft's line to replace with a line of `seat` under `reservation`: none when the
    /// seat is not in the draft; the old line when the seat is held again under a new hold (the
    /// old hold has ended; its end event may not have been applied yet).
    ///
    /// # Errors
    /// [`OrderingError::SeatAlreadyInCart`] when the line is there under the same hold.
    pub(crate) fn line_to_replace(
        draft: &Order,
        seat: SeatId,
        reservation: ReservationId,
    ) -> Result<Option<OrderItemId>, OrderingError> {
        match draft.item_for(seat) {
            Some(line) if line.reservation_id == reservation => {
                Err(OrderingError::SeatAlreadyInCart)
            }
            Some(line) => Ok(Some(line.id)),
            None => Ok(None),
        }
    }

    /// A seat priced in `currency` joins the draft only in the draft's currency (an empty draft
    /// takes any).
    ///
    /// # Errors
    /// [`OrderingError::Invalid`] naming both currencies.
    pub(crate) fn same_currency(draft: &Order, currency: &str) -> Result<(), OrderingError> {
        if draft.items.is_empty() || draft.currency == currency {
            return Ok(());
        }
        Err(OrderingError::Invalid(format!(
            "This seat is priced in {currency}, but the cart is in {}; check out the cart first.",
            draft.currency
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{HoldState, HoldView};

    fn order(user: Option<&str>, guest: Option<&str>) -> Order {
        Order {
            id: OrderId::new(),
            user_id: user.map(str::to_owned),
            guest_token: guest.map(str::to_owned),
            state: OrderState::Draft,
            currency: "USD".into(),
            items: vec![],
            created_at: Utc::now(),
            paid_at: None,
            customer_email: None,
            buyer_name: None,
        }
    }

    #[test]
    fn a_buyer_needs_a_user_id_or_a_guest_token() {
        assert!(matches!(
            Buyer::parse(None, Some("  ")),
            Err(OrderingError::MissingBuyer)
        ));
        assert!(Buyer::parse(Some("user-123"), None).is_ok());
        assert!(Buyer::parse(None, Some(&"g".repeat(257))).is_err());
    }

    #[test]
    fn ownership_follows_the_user_id_first() {
        let mine = order(Some("user-123"), None);
        let guest = order(None, Some("guest-abc"));
        let user = Buyer::parse(Some("user-123"), None).expect("buyer");
        let other = Buyer::parse(Some("user-999"), Some("guest-abc")).expect("buyer");
        let token = Buyer::parse(None, Some("guest-abc")).expect("buyer");
        assert!(user.owns(&mine));
        assert!(!other.owns(&mine));
        assert!(
            !other.owns(&guest),
            "a user id that does not match wins over a matching token"
        );
        assert!(token.owns(&guest));
        assert!(other.is_customer("guest-abc"));
    }

    fn line(seat: SeatId, reservation: ReservationId) -> OrderItem {
        OrderItem {
            id: OrderItemId::new(),
            seat_id: seat,
            reservation_id: reservation,
            price: Money::from_cents(5_000),
            event_id: EventId::new(),
            event_name: "Concert".into(),
            section_code: "A".into(),
            row_number: 1,
            seat_number: 1,
            refunded_at: None,
        }
    }

    #[test]
    fn an_add_to_the_cart_names_a_hold_and_no_price_below_one_cent() {
        let hold = ReservationId::new();
        assert!(matches!(
            cart::check_request(None, None),
            Err(OrderingError::Invalid(m)) if m.contains("reservationId is required")
        ));
        assert!(matches!(
            cart::check_request(Some(hold), Some(Money::from_cents(0))),
            Err(OrderingError::Invalid(m)) if m.contains("greater than zero")
        ));
        assert_eq!(cart::check_request(Some(hold), None).ok(), Some(hold));
        assert!(cart::check_price(Some(Money::from_cents(100)), Money::from_cents(120)).is_err());
        assert!(cart::check_price(Some(Money::from_cents(120)), Money::from_cents(120)).is_ok());
        assert!(cart::check_price(None, Money::from_cents(120)).is_ok());
    }

    #[test]
    fn only_the_buyers_active_hold_of_the_seat_goes_in_the_cart() {
        let seat = SeatId::new();
        let buyer = Buyer::parse(Some("user-1"), None).expect("buyer");
        let view = |customer: &str, seat: SeatId, state: HoldState| HoldView {
            reservation_id: ReservationId::new(),
            seat_id: seat,
            customer_id: customer.into(),
            state,
            expires_at: Utc::now(),
        };
        assert!(cart::check_hold(&view("user-1", seat, HoldState::Active), &buyer, seat).is_ok());
        assert!(matches!(
            cart::check_hold(&view("user-2", seat, HoldState::Active), &buyer, seat),
            Err(OrderingError::HoldNotOwned)
        ));
        assert!(matches!(
            cart::check_hold(
                &view("user-1", SeatId::new(), HoldState::Active),
                &buyer,
                seat
            ),
            Err(OrderingError::ReservationForOtherSeat)
        ));
        assert!(matches!(
            cart::check_hold(&view("user-1", seat, HoldState::Expired), &buyer, seat),
            Err(OrderingError::ReservationExpired)
        ));
        assert!(matches!(
            cart::check_hold(&view("user-1", seat, HoldState::Confirmed), &buyer, seat),
            Err(OrderingError::ReservationNotActive("confirmed"))
        ));
    }

    #[test]
    fn a_seat_held_again_replaces_its_line_and_the_same_hold_twice_is_refused() {
        let (seat, first, again) = (SeatId::new(), ReservationId::new(), ReservationId::new());
        let mut draft = order(Some("user-1"), None);
        assert!(matches!(
            cart::line_to_replace(&draft, seat, first),
            Ok(None)
        ));
        draft.items.push(line(seat, first));
        let old = draft.items[0].id;
        assert!(matches!(
            cart::line_to_replace(&draft, seat, first),
            Err(OrderingError::SeatAlreadyInCart)
        ));
        assert!(matches!(cart::line_to_replace(&draft, seat, again), Ok(Some(id)) if id == old));
        // A cart keeps one currency; an empty one takes any.
        assert!(cart::same_currency(&draft, "USD").is_ok());
        assert!(cart::same_currency(&draft, "EUR").is_err());
        assert!(cart::same_currency(&order(Some("user-1"), None), "EUR").is_ok());
    }

    #[test]
    fn only_the_owners_draft_with_lines_and_live_holds_is_checked_out() {
        let buyer = Buyer::parse(Some("user-1"), None).expect("buyer");
        let stranger = Buyer::parse(Some("user-2"), None).expect("buyer");
        let mut draft = order(Some("user-1"), None);
        assert!(matches!(
            check_checkout(&draft, &buyer),
            Err(OrderingError::Empty)
        ));
        let (seat, hold) = (SeatId::new(), ReservationId::new());
        draft.items.push(line(seat, hold));
        assert!(check_checkout(&draft, &buyer).is_ok());
        assert!(matches!(
            check_checkout(&draft, &stranger),
            Err(OrderingError::Unauthorized)
        ));
        let view = |state| HoldView {
            reservation_id: hold,
            seat_id: seat,
            customer_id: "user-1".into(),
            state,
            expires_at: Utc::now(),
        };
        assert!(check_holds_active(&draft, &[view(HoldState::Active)]).is_ok());
        assert!(matches!(
            check_holds_active(&draft, &[view(HoldState::Expired)]),
            Err(OrderingError::HoldExpired(s)) if s == seat
        ));
        assert!(matches!(
            check_holds_active(&draft, &[]),
            Err(OrderingError::HoldExpired(_))
        ));
        draft.state = OrderState::Pending;
        assert!(matches!(
            check_checkout(&draft, &buyer),
            Err(OrderingError::NotDraft)
        ));
    }

    #[test]
    fn an_order_search_trims_its_input_and_refuses_carts_and_pages_out_of_range() {
        let search = OrderSearch::new(None, Some("  ana@example.com ".into()), Some(" "), None);
        assert_eq!(
            search.ok(),
            Some(OrderSearch {
                event: None,
                text: Some("ana@example.com".into()),
                state: None,
                page: 1,
                ticket_order: None,
            })
        );
        let blank = OrderSearch::new(None, Some("   ".into()), Some("completed"), Some(3));
        assert_eq!(
            blank.as_ref().map(|s| (&s.text, s.state, s.page)).ok(),
            Some((&None, Some(OrderState::Completed), 3))
        );
        for (state, page) in [
            (Some("draft"), None),
            (Some("lost"), None),
            (None, Some(0)),
            (None, Some(OrderSearch::MAX_PAGE + 1)),
        ] {
            assert!(
                matches!(
                    OrderSearch::new(None, None, state, page),
                    Err(OrderingError::Invalid(_))
                ),
                "{state:?} {page:?}"
            );
        }
    }
}
