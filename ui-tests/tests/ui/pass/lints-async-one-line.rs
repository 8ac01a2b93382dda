//! One-line `async fn` bodies, free and as a method, under `#![deny(warnings)]`.

#![deny(warnings)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

#[telemetry::counted]
async fn triple(x: u32) -> u32 { x * 3 }

struct Doubler;

impl Doubler {
    #[telemetry::counted]
    async fn double(&self, x: u32) -> u32 { x * 2 }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn main() {
    assert_eq!(block_on(triple(2)), 6);
    assert_eq!(block_on(Doubler.double(4)), 8);
    let get = |tail: &str| {
        let name = format!("{}/{tail}", module_path!());
        telemetry::registry().get(&name).unwrap().get()
    };
    assert_eq!(get("triple"), 1);
    assert_eq!(get("Doubler/double"), 1);
}
