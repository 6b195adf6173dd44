//! Mail at the edges: an inbound mail read once from raw bytes, and the mail the bot sends.

pub mod auth;
pub mod flowed;
pub mod html;
pub mod inbound;
pub mod outbound;
pub mod oversize;

pub use inbound::Inbound;
pub use outbound::{Outgoing, OutgoingKind};
