//! The public side of transparent telemetry, computed and drawn once for both ends: the
//! collection server's pages and JSON API and the user's own `telemetry view` aggregate
//! reports the same way ([`aggregate`]), compute every number from that one aggregate
//! ([`series`], [`decide`], with the interval arithmetic of [`stats`]) and draw them
//! with the same code ([`render`]), so what a user sees of their own machine is what
//! the public pages would show of it. The pages listing every name of a program read
//! those names from an index built once per aggregate ([`index`]).
//!
//! Nothing here touches the network or a file: reports in, numbers and bytes out.

pub mod aggregate;
pub mod decide;
pub mod index;
pub mod order;
pub mod rates;
pub mod render;
pub mod series;
pub mod serving;
pub mod stats;

pub use aggregate::{Aggregate, Cell, ProgramAggregate};
pub use index::Indexed;
pub use rates::{ConfigRates, Rates, RatesByKey, Unsampled};
