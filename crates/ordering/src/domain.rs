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
}

impl OrderState {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "pending" => Some(Self::Pending),
            "completed" => Some(Self::Completed),
            "cancelled" => Some(Self::Cancelled),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
