//! The cart: adding and removing seats of a draft order.

use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, OrderItemId, ReservationId, SeatId};

use super::OrderingService;
use crate::domain::{Buyer, LapsedLine, Order, OrderItem, OrderState, cart};
use crate::events::CartItemRemoved;
use crate::{OrderingError, store};

/// A request to put a held seat in the buyer's cart.
#[derive(Debug, Clone)]
pub struct AddToCart {
    /// The hold (required: a seat cannot be carted without one).
    pub reservation_id: Option<ReservationId>,
    /// The seat.
    pub seat_id: SeatId,
    /// The price the client expects, if it sent one; it must equal the catalogue's.
    pub price: Option<Money>,
    /// The buyer.
    pub buyer: Buyer,
}

impl OrderingService {
    /// Adds a held seat to the buyer's draft, creating the draft if needed. The hold is checked
    /// synchronously, so this works the instant the hold was granted.
    ///
    /// # Errors
    /// Missing, foreign, lapsed or mismatched hold; a price that is not the catalogue's; a seat
    /// already in the cart.
    pub async fn add_to_cart(&self, request: AddToCart) -> Result<Order, OrderingError> {
        let reservation_id = cart::check_request(request.reservation_id, request.price)?;
        let hold = self
            .holds
            .holds(&[reservation_id])
            .await?
            .pop()
            .ok_or(OrderingError::ReservationNotFound)?;
        cart::check_hold(&hold, &request.buyer, request.seat_id)?;
        let seat = self
            .prices
            .seat(request.seat_id)
            .await?
            .ok_or(OrderingError::SeatNotFound(request.seat_id))?;
        cart::check_price(request.price, seat.price)?;
        let now = self.now();
        let currency = seat.currency.clone();
        let item = OrderItem {
            id: OrderItemId::new(),
            seat_id: seat.seat_id,
            reservation_id,
            price: seat.price,
            event_id: seat.event_id,
            event_name: seat.event_name,
            section_code: seat.section_code,
            row_number: seat.row_number,
            seat_number: seat.seat_number,
            refunded_at: None,
        };
        let new_draft = || Order {
            id: OrderId::new(),
            user_id: request.buyer.user_id().map(str::to_owned),
            guest_token: request.buyer.guest_token().map(str::to_owned),
            state: OrderState::Draft,
            currency: currency.clone(),
            items: Vec::new(),
            created_at: now,
            paid_at: None,
            customer_email: request.buyer.email().map(str::to_owned),
            buyer_name: None,
        };
        let draft = self
            .add_in_tx(&request.buyer, &item, &currency, now, &new_draft)
            .await?;
        Ok(with_item(draft, item))
    }

    /// The add in a write transaction. Adds of different buyers touch different drafts (one per
    /// buyer, by unique index), so they run side by side on PostgreSQL; one buyer's adds queue
    /// on the buyer's key. Answers the draft as read (or created).
    async fn add_in_tx(
        &self,
        buyer: &Buyer,
        item: &OrderItem,
        currency: &str,
        now: DateTime<Utc>,
        new_draft: &(dyn Fn() -> Order + Sync),
    ) -> Result<Order, OrderingError> {
        let mut tx = self.db.begin_beside(buyer.lock_key()).await?;
        let Some(draft) = store::draft_of(tx.conn(), buyer).await? else {
            // A new draft is written with its first line's total, so the total needs no
            // refresh: one statement fewer under the writer lock (PostgreSQL).
            let draft = new_draft();
            let mut written = draft.clone();
            written.items.push(item.clone());
            store::insert_order(tx.conn(), &written).await?;
            store::insert_line(tx.conn(), draft.id, item).await?;
            tx.commit().await?;
            return Ok(draft);
        };
        if let Some(old) = cart::line_to_replace(&draft, item.seat_id, item.reservation_id)? {
            store::delete_item(tx.conn(), draft.id, old, now).await?;
        }
        cart::same_currency(&draft, currency)?;
        store::insert_item(tx.conn(), draft.id, item, now).await?;
        tx.commit().await?;
        Ok(draft)
    }

    /// The cart of a guest who has just signed in or registered becomes the account's, with its
    /// holds, in one transaction: none lost, none left to the guest. An account with a cart of
    /// its own gets the guest's lines added to it (when both are in one currency; otherwise the
    /// guest's cart is left as it was and the answer is `None`). Returns the account's cart.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn adopt_cart(
        &self,
        guest: &Buyer,
        account: &Buyer,
    ) -> Result<Option<Order>, OrderingError> {
        let (Some(token), Some(user)) = (guest.guest_token(), account.user_id()) else {
            return Ok(None);
        };
        let guest = Buyer::parse(None, Some(token))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let Some(cart) = store::draft_of(tx.conn(), &guest).await? else {
            return Ok(None);
        };
        let holds: Vec<ReservationId> = cart.items.iter().map(|i| i.reservation_id).collect();
        match store::draft_of(tx.conn(), account).await? {
            None => {
                store::give_draft(tx.conn(), cart.id, user, account.email(), now).await?;
            }
            Some(own) if own.currency == cart.currency || cart.items.is_empty() => {
                store::move_lines(tx.conn(), cart.id, own.id, now).await?;
                store::set_state(
                    tx.conn(),
                    cart.id,
                    OrderState::Draft,
                    OrderState::Cancelled,
                    now,
                )
                .await?;
            }
            Some(_) => {
                tx.rollback().await?;
                return Ok(None);
            }
        }
        let moved = self
            .cart_holds
            .give_holds_in(&mut tx, &holds, token, user)
            .await
            .map_err(OrderingError::Internal)?;
        tx.commit().await?;
        tracing::info!(
            lines = holds.len(),
            holds = moved,
            "a guest's cart became the account's"
        );
        Ok(store::draft_of(self.db.read().await?.conn(), account).await?)
    }

    /// The seats whose hold ran out in the buyer's cart `order`, in place order.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn lapsed_of_cart(&self, order: OrderId) -> Result<Vec<LapsedLine>, OrderingError> {
        Ok(store::lapsed_lines(self.db.read().await?.conn(), order).await?)
    }

    /// Forgets the lapsed seats of cart `order` (the buyer held them again or let them go).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn forget_lapsed(&self, order: OrderId) -> Result<(), OrderingError> {
        let mut tx = self.db.begin().await?;
        store::forget_lapsed(tx.conn(), order, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a seat from the buyer's draft; its hold is released (through an event).
    ///
    /// # Errors
    /// Unknown order (404), another buyer's (401), not a draft, or seat not in it.
    pub async fn remove_from_cart(
        &self,
        order_id: OrderId,
        seat_id: SeatId,
        buyer: &Buyer,
    ) -> Result<Order, OrderingError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let order = store::order(tx.conn(), order_id)
            .await?
            .ok_or(OrderingError::OrderNotFound(order_id))?;
        if !buyer.owns(&order) {
            return Err(OrderingError::Unauthorized);
        }
        if order.state != OrderState::Draft {
            return Err(OrderingError::NotDraft);
        }
        let item = order
            .item_for(seat_id)
            .ok_or(OrderingError::SeatNotInCart)?;
        store::delete_item(tx.conn(), order_id, item.id, now).await?;
        let removed = CartItemRemoved {
            order_id,
            reservation_id: item.reservation_id,
            seat_id,
        };
        storage::enqueue(tx.conn(), &removed, now).await?;
        let order = store::order(tx.conn(), order_id)
            .await?
            .ok_or(OrderingError::OrderNotFound(order_id))?;
        tx.commit().await?;
        self.relay.wake();
        Ok(order)
    }
}

/// The answer to an add: the draft as read, with `item` in place of any line for its seat. It is
/// built from what the transaction read and wrote rather than read back: every statement on the
/// single writer counts (docs/performance.md).
fn with_item(mut draft: Order, item: OrderItem) -> Order {
    draft.items.retain(|i| i.seat_id != item.seat_id);
    draft.items.push(item);
    draft
}
