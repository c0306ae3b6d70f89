//! Checkout, cancellation, and what happens to orders when a hold ends.

use chrono::{DateTime, Utc};
use kernel::{OrderId, OrderItemId, ReservationId};
use storage::Tx;

use super::OrderingService;
use crate::domain::{Buyer, Order, OrderItem, OrderState, check_checkout, check_holds_active};
use crate::events::{CompletedItem, OrderCancelled, OrderCompleted, OrderRefunded};
use crate::ports::PricedSeat;
use crate::{OrderingError, store};

/// The order of a seat offered to someone on the waitlist.
#[derive(Debug, Clone)]
pub struct OfferOrder {
    /// The order's id, chosen by the caller.
    pub order_id: OrderId,
    /// The fresh guest token that owns it (and pays it).
    pub guest_token: String,
    /// Where the tickets go.
    pub email: String,
    /// The seat with its price.
    pub seat: PricedSeat,
    /// The hold that keeps the seat for the offer.
    pub reservation_id: ReservationId,
}

/// How many times a checkout starts over when the draft's lines changed under it.
const CHECKOUT_ATTEMPTS: usize = 5;

impl OrderingService {
    /// Records an offer's order straight as `pending` (nothing to check out: the seat was handed
    /// over, not chosen), inside the caller's transaction so it exists exactly when the hold does.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn place_offer_order(
        tx: &mut Tx,
        offer: &OfferOrder,
        now: DateTime<Utc>,
    ) -> Result<(), OrderingError> {
        let order = Order {
            id: offer.order_id,
            user_id: None,
            guest_token: Some(offer.guest_token.clone()),
            state: OrderState::Pending,
            currency: offer.seat.currency.clone(),
            items: Vec::new(),
            created_at: now,
            paid_at: None,
            customer_email: Some(offer.email.clone()),
            buyer_name: None,
        };
        store::insert_order(tx.conn(), &order).await?;
        let item = OrderItem {
            id: OrderItemId::new(),
            seat_id: offer.seat.seat_id,
            reservation_id: offer.reservation_id,
            price: offer.seat.price,
            event_id: offer.seat.event_id,
            event_name: offer.seat.event_name.clone(),
            section_code: offer.seat.section_code.clone(),
            row_number: offer.seat.row_number,
            seat_number: offer.seat.seat_number,
            refunded_at: None,
        };
        store::insert_item(tx.conn(), offer.order_id, &item, now).await?;
        Ok(())
    }

    /// Checks out the buyer's draft: `draft → pending`, ready for payment. Every hold must still
    /// be active at this instant.
    ///
    /// # Errors
    /// The seed page's: not found (404), not the owner (401), not a draft, empty; and
    /// [`OrderingError::HoldExpired`] when a hold lapsed.
    pub async fn checkout(&self, order_id: OrderId, buyer: &Buyer) -> Result<Order, OrderingError> {
        // A line the buyer adds (in another tab) between the read and the write makes the write
        // refuse; the checkout then starts over from a fresh read, so its answer is the order
        // as checked out. Five changes in a row within that moment are not a buyer's doing.
        for _ in 0..CHECKOUT_ATTEMPTS {
            if let Some(order) = self.try_checkout(order_id, buyer).await? {
                return Ok(order);
            }
        }
        Err(OrderingError::Invalid(
            "The cart changed during checkout; check out again.".into(),
        ))
    }

    /// One checkout from one read of the order: `None` if its lines changed before the write.
    async fn try_checkout(
        &self,
        order_id: OrderId,
        buyer: &Buyer,
    ) -> Result<Option<Order>, OrderingError> {
        let mut order = store::order(self.db.read().await?.conn(), order_id)
            .await?
            .ok_or(OrderingError::OrderNotFound(order_id))?;
        check_checkout(&order, buyer)?;
        let lines = store::Lines::of(&order).ok_or(OrderingError::Empty)?;
        let ids: Vec<ReservationId> = order.items.iter().map(|i| i.reservation_id).collect();
        check_holds_active(&order, &self.holds.holds(&ids).await?)?;
        // A guest names the address for the tickets at checkout.
        let email = buyer.email().filter(|_| order.customer_email.is_none());
        if !self.move_to_pending(&order, &lines, email).await? {
            // No longer a draft (checked out or cancelled meanwhile), or its lines changed: the
            // next read tells which.
            return Ok(None);
        }
        if let Some(email) = email {
            order.customer_email = Some(email.to_owned());
        }
        order.state = OrderState::Pending;
        Ok(Some(order))
    }

    /// `draft → pending` while the draft still has `lines` (and the guest's `email` on it, if
    /// none was set); false when the guard refused.
    async fn move_to_pending(
        &self,
        order: &Order,
        lines: &store::Lines,
        email: Option<&str>,
    ) -> Result<bool, OrderingError> {
        let (order_id, now) = (order.id, self.now());
        // Beside other buyers' writes (on PostgreSQL; SQLite has one writer), on the key the
        // buyer's adds to the cart take, so no add is half done while the guard counts the lines (an UPDATE's subqueries see
        // only what was committed when it started).
        let mut tx = self.db.begin_beside(order.cart_lock_key()).await?;
        if let Some(email) = email {
            store::set_email_if_missing(tx.conn(), order_id, email).await?;
        }
        let moved = store::check_out(tx.conn(), order_id, lines, now).await?;
        if moved {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(moved)
    }

    /// Cancels a draft or pending order for its owner (`None`: an administrator) and releases its
    /// holds (through an event).
    /// Cancelling a cancelled order changes nothing.
    ///
    /// # Errors
    /// Not found (also for another buyer's order), or a completed order.
    pub async fn cancel(
        &self,
        order_id: OrderId,
        owner: Option<&Buyer>,
    ) -> Result<Order, OrderingError> {
        let mut tx = self.db.begin().await?;
        let order = store::order(tx.conn(), order_id)
            .await?
            .filter(|o| owner.is_none_or(|b| b.owns(o)))
            .ok_or(OrderingError::OrderNotFound(order_id))?;
        match order.state {
            OrderState::Cancelled => return Ok(order),
            OrderState::Completed | OrderState::PartiallyRefunded | OrderState::Refunded => {
                return Err(OrderingError::NotCancellable(order_id));
            }
            OrderState::Draft | OrderState::Pending => {}
        }
        // Read inside this write transaction: a payment recorded before it is seen, and one
        // recorded after it re-reads this order's state and refuses.
        if self.payments.has_live_payment(order_id).await? {
            return Err(OrderingError::PaymentUnderway(order_id));
        }
        let order = self.cancel_in(&mut tx, order, "cancelled_by_buyer").await?;
        tx.commit().await?;
        self.relay.wake();
        Ok(order)
    }

    async fn cancel_in(
        &self,
        tx: &mut Tx,
        mut order: Order,
        reason: &str,
    ) -> Result<Order, OrderingError> {
        let now = self.now();
        if !store::set_state(tx.conn(), order.id, order.state, OrderState::Cancelled, now).await? {
            return Err(OrderingError::NotCancellable(order.id));
        }
        let cancelled = OrderCancelled {
            order_id: order.id,
            reservation_ids: order.items.iter().map(|i| i.reservation_id).collect(),
            seat_ids: order.items.iter().map(|i| i.seat_id).collect(),
            reason: reason.into(),
        };
        storage::enqueue(tx.conn(), &cancelled, now).await?;
        order.state = OrderState::Cancelled;
        Ok(order)
    }

    /// A payment succeeded: `pending → completed` with `paidAt`, announced with every detail
    /// fulfillment needs. Applying it twice changes nothing.
    pub(crate) async fn complete(
        &self,
        tx: &mut Tx,
        order_id: OrderId,
        payment_id: uuid::Uuid,
        paid_at: DateTime<Utc>,
    ) -> Result<(), OrderingError> {
        let Some(order) = store::order(tx.conn(), order_id).await? else {
            return Err(OrderingError::OrderNotFound(order_id));
        };
        if order.state.was_paid() {
            return Ok(());
        }
        let paid = store::mark_paid(tx.conn(), order_id, paid_at).await?;
        let completed = completed_event(&order, paid, payment_id, paid_at)?;
        storage::enqueue(tx.conn(), &completed, self.now()).await?;
        Ok(())
    }

    /// A refund was recorded by payment: its seats' lines are marked refunded and the order
    /// becomes `partially_refunded` or `refunded`, announced with `order-refunded` (the buyer's
    /// e-mail). Applying it twice changes nothing.
    pub(crate) async fn refunded(
        &self,
        tx: &mut Tx,
        refund: &RefundApplied,
    ) -> Result<(), OrderingError> {
        let Some(order) = store::order(tx.conn(), refund.order_id).await? else {
            return Err(OrderingError::OrderNotFound(refund.order_id));
        };
        let now = self.now();
        let Some(state) = store::mark_refunded(
            tx.conn(),
            order.id,
            refund.refund_id,
            &refund.seat_ids,
            refund.amount,
            now,
        )
        .await?
        else {
            return Ok(());
        };
        let items = order
            .items
            .iter()
            .filter(|i| refund.seat_ids.contains(&i.seat_id))
            .map(completed_item)
            .collect();
        let event = OrderRefunded {
            order_id: order.id,
            refund_id: refund.refund_id,
            state: state.as_str().to_string(),
            customer_email: crate::domain::email_of(&order),
            amount: refund.amount,
            currency: order.currency.clone(),
            reason: refund.reason.clone(),
            items,
            refunded_at: now,
        };
        storage::enqueue(tx.conn(), &event, now).await?;
        Ok(())
    }

    /// A hold ended without purchase (expired or released): its seat leaves a draft, and a
    /// pending order that needed it is cancelled (its other holds are then released).
    pub(crate) async fn hold_ended(
        &self,
        tx: &mut Tx,
        reservation: ReservationId,
        reason: &str,
    ) -> Result<(), OrderingError> {
        let now = self.now();
        for order in store::open_orders_with_reservation(tx.conn(), reservation).await? {
            match order.state {
                OrderState::Draft => {
                    for item in order
                        .items
                        .iter()
                        .filter(|i| i.reservation_id == reservation)
                    {
                        store::delete_item(tx.conn(), order.id, item.id, now).await?;
                        if reason == "hold_expired" {
                            // The cart says so, and offers the seat again (`lapsed_of_cart`).
                            store::remember_lapsed(tx.conn(), order.id, item, now).await?;
                        }
                    }
                }
                OrderState::Pending => {
                    self.cancel_in(tx, order, reason).await?;
                }
                OrderState::Completed
                | OrderState::Cancelled
                | OrderState::PartiallyRefunded
                | OrderState::Refunded => {}
            }
        }
        Ok(())
    }
}

/// The announcement of `order` paid by `payment_id`, once `paid` says the order went from
/// `pending` to `completed`.
fn completed_event(
    order: &Order,
    paid: bool,
    payment_id: uuid::Uuid,
    paid_at: DateTime<Utc>,
) -> Result<OrderCompleted, OrderingError> {
    if !paid {
        // The payment re-checked this order inside its own transaction, so this means the
        // data was changed by hand; shout rather than sell seats of a cancelled order.
        return Err(OrderingError::Internal(anyhow::anyhow!(
            "order {} was {} when its payment {payment_id} succeeded",
            order.id,
            order.state.as_str()
        )));
    }
    Ok(OrderCompleted {
        order_id: order.id,
        payment_id,
        customer_email: crate::domain::email_of(order),
        user_id: order.user_id.clone(),
        guest_token: order.guest_token.clone(),
        total_amount: order.total(),
        currency: order.currency.clone(),
        paid_at,
        items: order.items.iter().map(completed_item).collect(),
    })
}

fn completed_item(i: &OrderItem) -> CompletedItem {
    CompletedItem {
        seat_id: i.seat_id,
        reservation_id: i.reservation_id,
        event_id: i.event_id,
        event_name: i.event_name.clone(),
        section_code: i.section_code.clone(),
        row_number: i.row_number,
        seat_number: i.seat_number,
        price: i.price,
    }
}

/// A refund as ordering applies it (from `payment-refunded`).
#[derive(Debug, Clone)]
pub(crate) struct RefundApplied {
    pub(crate) refund_id: uuid::Uuid,
    pub(crate) order_id: OrderId,
    pub(crate) seat_ids: Vec<kernel::SeatId>,
    pub(crate) amount: kernel::Money,
    pub(crate) reason: String,
}
