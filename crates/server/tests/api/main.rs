//! Black-box tests: the real `boxoffice` binary on random ports, driven over HTTP.

mod backoffice;
mod bench;
mod best_available;
mod browser;
mod catalog;
mod concurrency;
mod distributed;
mod edge;
mod exports;
mod fuzz;
mod harness;
mod heldback;
mod helpers;
mod inventory;
mod journeys;
mod kafka;
mod ordering;
mod purchase;
mod refunds;
mod restart;
mod security;
mod settings;
mod split_recovery;
mod tickets;
mod trust;
mod waitlist;
