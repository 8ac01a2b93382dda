//! The public side of transparent telemetry, drawn once for both ends: the collection
//! server's `/charts` and the user's own `telemetry view` aggregate reports the same
//! way ([`aggregate`]) and draw them with the same code ([`render`]), so what a user
//! sees of their own machine is what the public pages would show of it.
//!
//! Nothing here touches the network or a file: reports in, bytes out.

pub mod aggregate;
pub mod render;
pub mod serving;

pub use aggregate::{Aggregate, Cell, ProgramAggregate, Rates, Unsampled};
