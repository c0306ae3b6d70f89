//! A sale at the box office: an organiser sells (or gives) seats to a named buyer. One write
//! transaction, running alone among writers, records the order, sells its seats (lifting the
//! organiser's blocks) and records the payment taken; `payment-succeeded` then completes the
//! order and issues the tickets and their e-mail as for any paid order.

use kernel::{EventId, OrderId, OrderItemId};

use super::OrderingService;
use crate::domain::{BoxOfficeSale, Order, OrderItem, OrderState};
use crate::ports::BoxOfficePayment;
use crate::{OrderingError, store};

impl OrderingService {
    /// Sells `sale` (seats of `event`) at the box office; returns the order (pending until
    /// its payment event completes it, a moment later).
    ///
    /// # Errors
    /// An unknown seat or one of another event, seats priced in two currencies, or
    /// [`OrderingError::SeatsNotFree`] naming every seat held, in a cart or sold (nothing is
    /// then changed).
    pub async fn sell_at_box_office(
        &self,
        event: EventId,
        sale: &BoxOfficeSale,
    ) -> Result<Order, OrderingError> {
        let mut priced = Vec::with_capacity(sale.seats.len());
        for &seat in &sale.seats {
            let found = self
                .prices
                .seat(seat)
                .await?
                .ok_or(OrderingError::SeatNotFound(seat))?;
            if found.event_id != event {
                return Err(OrderingError::Invalid(format!(
                    "Seat {seat} is not a seat of this event."
                )));
            }
            priced.push(found);
        }
        let currency = priced[0].currency.clone();
        let now = self.now();
        let guest_token = format!("box-office-{}", kernel::new_uuid().simple());
        let mut order = Order {
            id: OrderId::new(),
            user_id: None,
            guest_token: Some(guest_token.clone()),
            state: OrderState::Pending,
            currency: currency.clone(),
            items: Vec::new(),
            created_at: now,
            paid_at: None,
            customer_email: Some(sale.email.clone()),
            buyer_name: Some(sale.buyer_name.clone()),
        };
        let mut tx = self.db().begin().await?;
        let taken = self
            .box_office
            .take_seats_in(&mut tx, &sale.seats, &guest_token, now)
            .await?;
        let reservations = match taken {
            Ok(reservations) => reservations,
            Err(sentence) => {
                tx.rollback().await?;
                return Err(OrderingError::SeatsNotFree(sentence));
            }
        };
        store::insert_order(tx.conn(), &order).await?;
        for (seat, reservation_id) in priced.into_iter().zip(reservations) {
            let item = OrderItem {
                id: OrderItemId::new(),
                seat_id: seat.seat_id,
                reservation_id,
                price: sale.price.unwrap_or(seat.price),
                event_id: seat.event_id,
                event_name: seat.event_name,
                section_code: seat.section_code,
                row_number: seat.row_number,
                seat_number: seat.seat_number,
                refunded_at: None,
            };
            store::insert_item(tx.conn(), order.id, &item, now).await?;
            order.items.push(item);
        }
        let payment = BoxOfficePayment {
            order_id: order.id,
            customer_id: guest_token,
            amount: order.total(),
            currency,
            method: sale.method.to_string(),
            reservation_ids: order.items.iter().map(|i| i.reservation_id).collect(),
        };
        self.box_office
            .record_payment_in(&mut tx, &payment, now)
            .await?;
        tx.commit().await?;
        self.relay.wake();
        tracing::info!(order.id = %order.id, seats = order.items.len(), method = sale.method, "box-office sale");
        Ok(order)
    }
}
