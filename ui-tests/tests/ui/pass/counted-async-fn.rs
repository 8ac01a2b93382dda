use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

#[telemetry::counted]
async fn triple(x: u32) -> u32 {
    x * 3
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
    let counter = telemetry::registry()
        .get(&format!("{}/triple", module_path!()))
        .unwrap();
    let future = triple(2);
    // Counted when first polled, not when called.
    assert_eq!(counter.get(), 0);
    assert_eq!(block_on(future), 6);
    assert_eq!(counter.get(), 1);
    drop(triple(5));
    assert_eq!(counter.get(), 1);
}
