//! The state shared by every router: one service per context.

use axum::extract::FromRef;
use std::sync::Arc;

use catalog::CatalogService;
use inventory::InventoryService;
use ordering::OrderingService;

/// Services of this process, handed to handlers through `FromRef`.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) catalog: Arc<CatalogService>,
    pub(crate) inventory: Arc<InventoryService>,
    pub(crate) ordering: Arc<OrderingService>,
}

impl FromRef<AppState> for Arc<CatalogService> {
    fn from_ref(state: &AppState) -> Self {
        state.catalog.clone()
    }
}

impl FromRef<AppState> for Arc<InventoryService> {
    fn from_ref(state: &AppState) -> Self {
        state.inventory.clone()
    }
}

impl FromRef<AppState> for Arc<OrderingService> {
    fn from_ref(state: &AppState) -> Self {
        state.ordering.clone()
    }
}
