//! The state shared by every router: one service per context.

use axum::extract::FromRef;
use std::sync::Arc;

use api::Auth;
use catalog::CatalogService;
use fulfillment::FulfillmentService;
use identity::IdentityService;
use inventory::InventoryService;
use notification::NotificationService;
use ordering::OrderingService;
use payment::PaymentService;
use waitlist::WaitlistService;

/// Services of this process, handed to handlers through `FromRef`. Behind one `Arc`: axum
/// clones the state for every request, and a clone of the fields was a dozen reference counts
/// up and down each time (1 % of a sale's CPU samples).
#[derive(Clone)]
pub(crate) struct AppState(Arc<Services>);

impl AppState {
    pub(crate) fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What [`AppState`] holds.
pub(crate) struct Services {
    pub(crate) catalog: Arc<CatalogService>,
    pub(crate) inventory: Arc<InventoryService>,
    pub(crate) ordering: Arc<OrderingService>,
    pub(crate) payment: Arc<PaymentService>,
    pub(crate) fulfillment: Arc<FulfillmentService>,
    pub(crate) notification: Arc<NotificationService>,
    pub(crate) identity: Arc<IdentityService>,
    pub(crate) waitlist: Arc<WaitlistService>,
    pub(crate) auth: Auth,
    /// The ports this process answers for the others of a split deployment.
    pub(crate) local_ports: Arc<crate::internal::LocalPorts>,
    /// The outbox as the operator sees it (parked messages, consumers' progress).
    pub(crate) outbox: outbox::Operator,
}

impl FromRef<AppState> for Auth {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

impl FromRef<AppState> for web::WebState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            catalog: state.catalog.clone(),
            inventory: state.inventory.clone(),
            ordering: state.ordering.clone(),
            payment: state.payment.clone(),
            fulfillment: state.fulfillment.clone(),
            identity: state.identity.clone(),
            waitlist: state.waitlist.clone(),
            notification: state.notification.clone(),
            auth: state.auth.clone(),
            outbox: state.outbox.clone(),
        }
    }
}

macro_rules! sub_state {
    ($($field:ident: $ty:ty),* $(,)?) => {
        $(impl FromRef<AppState> for Arc<$ty> {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        })*
    };
}

sub_state!(
    catalog: CatalogService,
    inventory: InventoryService,
    ordering: OrderingService,
    payment: PaymentService,
    fulfillment: FulfillmentService,
    notification: NotificationService,
    identity: IdentityService,
    waitlist: WaitlistService,
);
