//! In-process adapters: each context's port implemented by another context's queries, for the
//! single-process mode. (The distributed mode plugs HTTP adapters into the same ports.)

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use storage::Tx;

use catalog::{CatalogQueries, EventCounts, SeatAvailability, TakenState};
use inventory::{HoldStatus, InventoryQueries, SeatDirectory, SeatListing, SeatTaken};
use kernel::{EventId, ReservationId, SeatId};
use ordering::{HoldState, HoldView, Holds, OrderingQueries, PricedSeat, SeatPrices};

/// Inventory's live seat status, as the catalog asks for it.
pub(crate) struct AvailabilityFromInventory(pub(crate) InventoryQueries);

#[async_trait::async_trait]
impl SeatAvailability for AvailabilityFromInventory {
    async fn taken_seats(&self, event: EventId) -> anyhow::Result<HashMap<SeatId, TakenState>> {
        let taken = self.0.taken_seats(event).await?;
        Ok(taken
            .into_iter()
            .map(|(id, t)| {
                let state = match t {
                    SeatTaken::Reserved => TakenState::Reserved,
                    SeatTaken::Sold => TakenState::Sold,
                    SeatTaken::Blocked => TakenState::Blocked,
                };
                (id, state)
            })
            .collect())
    }

    async fn counts(&self, events: &[EventId]) -> anyhow::Result<HashMap<EventId, EventCounts>> {
        let counts = self.0.counts(events).await?;
        Ok(counts
            .into_iter()
            .map(|(id, c)| {
                (
                    id,
                    EventCounts {
                        reserved: c.reserved,
                        offered: c.offered,
                        sold: c.sold,
                        revenue: c.revenue,
                        blocked: c.blocked,
                    },
                )
            })
            .collect())
    }
}

/// The catalog's seats, as inventory asks for them.
pub(crate) struct DirectoryFromCatalog(pub(crate) CatalogQueries);

#[async_trait::async_trait]
impl SeatDirectory for DirectoryFromCatalog {
    async fn locate(&self, seat: SeatId) -> anyhow::Result<Option<SeatListing>> {
        Ok(self.0.seat_listing(seat).await?.map(for_inventory))
    }

    async fn seats_of_event(
        &self,
        query: &inventory::SeatsQuery,
    ) -> anyhow::Result<Vec<SeatListing>> {
        let seats = self
            .0
            .seats_of_event(query.event, query.section_code.as_deref(), query.row_number)
            .await?;
        Ok(seats.into_iter().map(for_inventory).collect())
    }
}

fn for_inventory(s: catalog::SeatListing) -> SeatListing {
    SeatListing {
        seat_id: s.seat_id,
        event_id: s.event_id,
        section_code: s.section_code,
        row_number: s.row_number,
        seat_number: s.seat_number,
        price: s.price,
        is_active: s.is_active,
        event_date: s.event_date,
        sales_start: s.sales_start,
        sales_end: s.sales_end,
        accessible: s.accessible,
        hold_extension: s.hold_extension,
        category: s.category,
        position: s.position,
        stage: s.stage,
    }
}

/// Inventory's holds, as ordering asks for them.
pub(crate) struct HoldsFromInventory(pub(crate) InventoryQueries);

#[async_trait::async_trait]
impl Holds for HoldsFromInventory {
    async fn holds(&self, ids: &[ReservationId]) -> anyhow::Result<Vec<HoldView>> {
        let holds = self.0.holds(ids).await?;
        Ok(holds
            .into_iter()
            .map(|h| HoldView {
                reservation_id: h.id,
                seat_id: h.seat_id,
                customer_id: h.customer_id,
                state: match h.status {
                    HoldStatus::Active => HoldState::Active,
                    HoldStatus::Expired => HoldState::Expired,
                    HoldStatus::Released => HoldState::Released,
                    HoldStatus::Confirmed => HoldState::Confirmed,
                },
                expires_at: h.expires_at,
            })
            .collect())
    }
}

/// The catalog's prices, as ordering asks for them.
pub(crate) struct PricesFromCatalog(pub(crate) CatalogQueries);

#[async_trait::async_trait]
impl SeatPrices for PricesFromCatalog {
    async fn seat(&self, seat: SeatId) -> anyhow::Result<Option<PricedSeat>> {
        Ok(self.0.seat_listing(seat).await?.map(|s| PricedSeat {
            seat_id: s.seat_id,
            event_id: s.event_id,
            event_name: s.event_name,
            section_code: s.section_code,
            row_number: s.row_number,
            seat_number: s.seat_number,
            price: s.price,
            currency: s.currency,
        }))
    }

    async fn event_exists(&self, event: EventId) -> anyhow::Result<bool> {
        Ok(self.0.event(event).await?.is_some())
    }
}

/// Ordering's orders, as payment asks for them.
pub(crate) struct OrdersForPayment(pub(crate) ordering::OrderingQueries);

#[async_trait::async_trait]
impl payment::PayableOrders for OrdersForPayment {
    async fn order(&self, id: kernel::OrderId) -> anyhow::Result<Option<payment::OrderForPayment>> {
        Ok(self.0.order(id).await?.map(for_payment))
    }

    async fn order_in(
        &self,
        tx: &mut Tx,
        id: kernel::OrderId,
    ) -> Option<anyhow::Result<Option<payment::OrderForPayment>>> {
        Some(self.0.order_in(tx, id).await.map(|o| o.map(for_payment)))
    }
}

fn for_payment(o: ordering::Order) -> payment::OrderForPayment {
    payment::OrderForPayment {
        order_id: o.id,
        state: o.state.as_str().to_string(),
        total: o.total(),
        currency: o.currency.clone(),
        reservation_ids: o.items.iter().map(|i| i.reservation_id).collect(),
        items: o
            .items
            .iter()
            .map(|i| payment::PaidItem {
                seat_id: i.seat_id,
                reservation_id: i.reservation_id,
                event_id: i.event_id,
                price: i.price,
            })
            .collect(),
        user_id: o.user_id,
        guest_token: o.guest_token,
    }
}

/// Inventory's holds, as payment asks for them.
pub(crate) struct HoldsForPayment(pub(crate) InventoryQueries);

#[async_trait::async_trait]
impl payment::HoldsOfOrder for HoldsForPayment {
    async fn all_active_until(
        &self,
        ids: &[ReservationId],
    ) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
        Ok(earliest_end_if_all_active(ids, &self.0.holds(ids).await?))
    }

    async fn all_active_until_in(
        &self,
        tx: &mut Tx,
        ids: &[ReservationId],
    ) -> Option<anyhow::Result<Option<chrono::DateTime<chrono::Utc>>>> {
        Some(
            self.0
                .holds_in(tx, ids)
                .await
                .map(|holds| earliest_end_if_all_active(ids, &holds)),
        )
    }
}

/// The earliest expiry of `holds` if every one of `ids` is among them and active.
fn earliest_end_if_all_active(
    ids: &[ReservationId],
    holds: &[inventory::Hold],
) -> Option<chrono::DateTime<chrono::Utc>> {
    let all_active = !ids.is_empty()
        && ids.iter().all(|id| {
            holds
                .iter()
                .any(|h| h.id == *id && h.status == HoldStatus::Active)
        });
    all_active
        .then(|| holds.iter().map(|h| h.expires_at).min())
        .flatten()
}

/// Inventory's confirmation of paid holds, inside the payment's own transaction (the database
/// is shared by every process, so this adapter is the same in a split deployment).
pub(crate) struct PaidHoldsFromInventory;

#[async_trait::async_trait]
impl payment::PaidHolds for PaidHoldsFromInventory {
    async fn confirm_in(
        &self,
        tx: &mut Tx,
        ids: &[ReservationId],
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        Ok(inventory::InventoryService::confirm_paid_in(tx, ids, now).await?)
    }
}

/// Fulfillment's tickets, voided inside the refund's transaction (the shared database).
pub(crate) struct TicketsVoidedByRefund;

#[async_trait::async_trait]
impl payment::RefundedTickets for TicketsVoidedByRefund {
    async fn void_in(
        &self,
        tx: &mut Tx,
        order: kernel::OrderId,
        seats: &[kernel::SeatId],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        Ok(fulfillment::FulfillmentService::void_refunded_in(tx, order, seats, now).await?)
    }
}

/// Whether a hold is being paid for, as inventory asks before an early release: an open order
/// holding it (ordering's tables) with a payment in flight or succeeded (payment's).
pub(crate) struct PaymentsOfHold {
    pub(crate) orders: OrderingQueries,
    pub(crate) payments: payment::PaymentQueries,
}

#[async_trait::async_trait]
impl inventory::HoldPayments for PaymentsOfHold {
    async fn is_being_paid(&self, hold: ReservationId) -> anyhow::Result<bool> {
        for order in self.orders.open_orders_with_reservation(hold).await? {
            if self.payments.has_live_payment(order.id).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Payment's ledger, as ordering asks for it.
pub(crate) struct LedgerFromPayment(pub(crate) payment::PaymentQueries);

#[async_trait::async_trait]
impl ordering::PaymentLedger for LedgerFromPayment {
    async fn has_live_payment(&self, order: kernel::OrderId) -> anyhow::Result<bool> {
        self.0.has_live_payment(order).await
    }
}

/// The catalog's events, as fulfillment asks for them.
pub(crate) struct EventsFromCatalog(pub(crate) CatalogQueries);

#[async_trait::async_trait]
impl fulfillment::EventDetails for EventsFromCatalog {
    async fn event(&self, id: EventId) -> anyhow::Result<Option<fulfillment::EventFacts>> {
        Ok(self.0.event(id).await?.map(|e| fulfillment::EventFacts {
            name: e.name,
            venue: e.venue,
            event_date: e.event_date,
        }))
    }
}

/// Fulfillment's tickets: their PDFs, as notification asks for them, and their orders, as
/// ordering's order lookup asks.
pub(crate) struct TicketsOfFulfillment(pub(crate) std::sync::Arc<fulfillment::FulfillmentService>);

#[async_trait::async_trait]
impl notification::TicketDocuments for TicketsOfFulfillment {
    async fn pdfs(&self, order: kernel::OrderId) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        self.0.pdfs_of_order(order).await
    }

    async fn holders(&self, event: EventId) -> anyhow::Result<Vec<(kernel::OrderId, String)>> {
        Ok(self.0.holders_of_event(event).await?)
    }
}

#[async_trait::async_trait]
impl ordering::TicketOrders for TicketsOfFulfillment {
    async fn order_of_ticket(&self, ticket: uuid::Uuid) -> anyhow::Result<Option<kernel::OrderId>> {
        match self.0.ticket(ticket).await {
            Ok(t) => Ok(Some(t.order_id)),
            Err(fulfillment::FulfillmentError::TicketNotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The waitlist's hand-over, as inventory asks it inside the transaction that frees a seat.
pub(crate) struct SuccessionFromWaitlist(pub(crate) Arc<waitlist::Succession>);

#[async_trait::async_trait]
impl inventory::SeatSuccession for SuccessionFromWaitlist {
    async fn successor(
        &self,
        tx: &mut Tx,
        freed: &inventory::FreedSeat,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<inventory::Successor>> {
        let freed = waitlist::FreedSeat {
            reservation_id: freed.reservation_id,
            seat_id: freed.seat_id,
            event_id: freed.event_id,
            section_code: freed.section_code.clone(),
            row_number: freed.row_number,
            seat_number: freed.seat_number,
            price: freed.price,
        };
        Ok(self
            .0
            .successor_in(tx, &freed, now)
            .await?
            .map(|next| inventory::Successor {
                reservation_id: next.reservation_id,
                customer_id: next.guest_token,
                expires_at: next.expires_at,
            }))
    }
}

/// Identity's guest tokens, issued inside the waitlist's hand-over.
pub(crate) struct TokensFromIdentity;

#[async_trait::async_trait]
impl waitlist::GuestTokenIssuer for TokensFromIdentity {
    async fn issue_in(&self, tx: &mut Tx, now: DateTime<Utc>) -> anyhow::Result<String> {
        let (token, _expires) = identity::IdentityService::issue_guest_token_in(tx, now).await?;
        Ok(token)
    }
}

/// Ordering's pending orders, placed inside the waitlist's hand-over.
pub(crate) struct OrdersForOffers;

#[async_trait::async_trait]
impl waitlist::OfferOrders for OrdersForOffers {
    async fn place_in(
        &self,
        tx: &mut Tx,
        order: &waitlist::OfferedOrder,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let offer = ordering::OfferOrder {
            order_id: order.order_id,
            guest_token: order.guest_token.clone(),
            email: order.email.clone(),
            seat: PricedSeat {
                seat_id: order.seat.seat_id,
                event_id: order.seat.event_id,
                event_name: order.event_name.clone(),
                section_code: order.seat.section_code.clone(),
                row_number: order.seat.row_number,
                seat_number: order.seat.seat_number,
                price: order.seat.price,
                currency: order.currency.clone(),
            },
            reservation_id: order.reservation_id,
        };
        Ok(ordering::OrderingService::place_offer_order(tx, &offer, now).await?)
    }
}

/// Inventory's holds, released when an offer is withdrawn.
pub(crate) struct HoldsForOffers(pub(crate) Arc<inventory::InventoryService>);

#[async_trait::async_trait]
impl waitlist::OfferHolds for HoldsForOffers {
    async fn release_in(
        &self,
        tx: &mut Tx,
        reservation: ReservationId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        self.0.release_in(tx, reservation, reason, now).await?;
        Ok(())
    }
}

/// The catalog's events with live availability, as the waitlist asks when someone joins.
pub(crate) struct EventsForWaitlist {
    pub(crate) catalog: Arc<catalog::CatalogService>,
    pub(crate) clock: Arc<dyn kernel::Clock>,
}

#[async_trait::async_trait]
impl waitlist::EventFacts for EventsForWaitlist {
    async fn event(&self, id: EventId) -> anyhow::Result<Option<waitlist::EventForWaitlist>> {
        let summary = match self.catalog.event_summary(id).await {
            Ok(summary) => summary,
            Err(catalog::CatalogError::EventNotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let on_sale = summary.event.is_on_sale(self.clock.now());
        Ok(Some(waitlist::EventForWaitlist {
            name: summary.event.name,
            currency: summary.event.currency,
            on_sale,
            available_seats: summary.available_seats,
        }))
    }
}

/// A cart's holds, given to the account of a guest who signed in inside ordering's transaction
/// (the shared database).
pub(crate) struct CartHoldsOfInventory;

#[async_trait::async_trait]
impl ordering::CartHolds for CartHoldsOfInventory {
    async fn give_holds_in(
        &self,
        tx: &mut Tx,
        ids: &[ReservationId],
        from: &str,
        to: &str,
    ) -> anyhow::Result<usize> {
        Ok(inventory::InventoryService::give_holds_in(tx, ids, from, to).await?)
    }
}

/// A box-office sale's seats and payment, written inside ordering's transaction (the shared
/// database): inventory sells the seats, payment records what was taken.
pub(crate) struct BoxOfficeOfInventoryAndPayment(pub(crate) Arc<inventory::InventoryService>);

#[async_trait::async_trait]
impl ordering::BoxOffice for BoxOfficeOfInventoryAndPayment {
    async fn take_seats_in(
        &self,
        tx: &mut Tx,
        seats: &[kernel::SeatId],
        customer: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<Vec<ReservationId>, String>> {
        Ok(match self.0.sell_in(tx, seats, customer, now).await? {
            Ok(sold) => Ok(sold),
            Err(taken) => Err(inventory::InventoryError::SeatsNotFree(taken).to_string()),
        })
    }

    async fn record_payment_in(
        &self,
        tx: &mut Tx,
        sale: &ordering::BoxOfficePayment,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let id = kernel::new_uuid();
        let payment = payment::Payment {
            id,
            order_id: sale.order_id,
            customer_id: sale.customer_id.clone(),
            reservation_id: None,
            amount: sale.amount,
            currency: sale.currency.clone(),
            payment_method: sale.method.clone(),
            status: payment::PaymentStatus::Succeeded,
            transaction_id: Some(format!("box_office_{}", &id.simple().to_string()[16..])),
            error_code: None,
            error_message: None,
            failure_reason: None,
            simulated_response: Some(format!("Taken at the box office ({})", sale.method)),
            is_simulated: false,
            created_at: now,
            processed_at: Some(now),
        };
        Ok(payment::PaymentService::record_box_office_in(
            tx,
            &payment,
            sale.reservation_ids.clone(),
            now,
        )
        .await?)
    }
}
