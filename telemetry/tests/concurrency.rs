//! Exact counts under contention, and sharing between sites of one name.

use std::thread;

#[test]
fn eight_threads_counting_one_counter_lose_nothing() {
    let threads: Vec<_> = (0..8)
        .map(|_| {
            thread::spawn(|| {
                for _ in 0..100_000 {
                    telemetry::counter!("concurrency-test/hits").inc();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(telemetry::counter!("concurrency-test/hits").get(), 800_000);
}

#[test]
fn sites_of_one_name_racing_for_their_first_use_share_one_cell() {
    let threads: Vec<_> = (0..8)
        .map(|i| {
            thread::spawn(move || {
                for _ in 0..10_000 {
                    if i % 2 == 0 {
                        telemetry::counter!("concurrency-test/shared").add(2);
                    } else {
                        telemetry::counter!("concurrency-test/shared").inc();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        telemetry::counter!("concurrency-test/shared").get(),
        4 * 20_000 + 4 * 10_000
    );
}
