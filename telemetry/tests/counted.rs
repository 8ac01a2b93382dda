//! `#[counted]` on every supported form: exact counts, derived names, unchanged
//! behaviour and signatures.

use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use telemetry::{Counter, counted, registry};

fn counter(name: &str) -> &'static Counter {
    registry()
        .get(name)
        .unwrap_or_else(|| panic!("`{name}` is not in the registry"))
}

#[counted]
fn free_function(x: u32) -> u32 {
    x + 1
}

mod nested_module {
    #[telemetry::counted]
    pub fn snake_case_name() {}
}

struct Store;
struct Cache;

impl Store {
    /// Makes a store.
    ///
    /// This second paragraph is not part of the description.
    #[counted]
    fn new() -> Store {
        Store
    }

    #[counted]
    fn get(&self, key: u32) -> Option<u32> {
        (key > 0).then_some(key)
    }
}

impl Cache {
    #[counted]
    fn new() -> Cache {
        Cache
    }

    #[counted]
    fn get(&self, key: u32) -> Option<u32> {
        (key > 1).then_some(key)
    }
}

trait Codec {
    #[counted]
    fn encode(&self) -> u8 {
        7
    }

    fn decode(&self) -> u8;
}

impl Codec for Store {
    #[counted]
    fn decode(&self) -> u8 {
        1
    }
}

impl Codec for Cache {
    fn decode(&self) -> u8 {
        2
    }
}

impl std::fmt::Display for Store {
    #[counted]
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("store")
    }
}

#[counted]
fn generic<T: Clone>(value: &T) -> T {
    value.clone()
}

#[counted]
#[inline(always)]
fn inlined() -> u8 {
    3
}

// Never called on purpose: registered all the same. `#[counted]` leaves the compiler's
// lints as they are without it, dead code included.
#[counted]
#[allow(dead_code)]
fn never_called() {}

#[counted]
fn returns_impl_trait() -> impl Iterator<Item = u8> {
    [1, 2, 3].into_iter()
}

/// # Safety
/// Always safe; `unsafe` only to prove the attribute keeps it.
#[counted]
unsafe fn unsafe_function(p: *const u8) -> u8 {
    // SAFETY: callers pass a valid pointer.
    unsafe { *p }
}

#[counted]
extern "C" fn c_abi(x: i32) -> i32 {
    x * 2
}

#[counted]
#[track_caller]
fn where_called() -> &'static Location<'static> {
    Location::caller()
}

#[counted]
fn recursive(n: u32) -> u32 {
    if n == 0 { 0 } else { 1 + recursive(n - 1) }
}

#[counted]
fn early_return(x: i32) -> i32 {
    if x < 0 {
        return -1;
    }
    x
}

#[counted]
fn question_mark(text: &str) -> Result<i32, std::num::ParseIntError> {
    let n: i32 = text.parse()?;
    Ok(n)
}

#[counted]
fn panics() {
    panic!("expected");
}

#[counted("counted-test/shared")]
fn shared_one() {}

#[counted(name = "counted-test/shared", description = "Shared on purpose")]
fn shared_two() {}

#[counted]
async fn asynchronous(x: u32) -> u32 {
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

#[test]
fn derived_names_join_crate_module_type_trait_and_function() {
    let names: Vec<&str> = registry()
        .iter()
        .map(Counter::name)
        .filter(|n| n.starts_with("counted/"))
        .collect();
    let expected = [
        "counted/Cache/get",
        "counted/Cache/new",
        "counted/Codec/encode",
        "counted/Store/Codec/decode",
        "counted/Store/Display/fmt",
        "counted/Store/get",
        "counted/Store/new",
        "counted/asynchronous",
        "counted/c-abi",
        "counted/early-return",
        "counted/free-function",
        "counted/generic",
        "counted/inlined",
        "counted/nested-module/snake-case-name",
        "counted/never-called",
        "counted/panics",
        "counted/question-mark",
        "counted/recursive",
        "counted/returns-impl-trait",
        "counted/unsafe-function",
        "counted/where-called",
    ];
    assert_eq!(names, expected);
    registry().check().unwrap();
}

#[test]
fn each_call_counts_once_and_behaviour_is_unchanged() {
    assert_eq!(free_function(1), 2);
    assert_eq!(free_function(2), 3);
    assert_eq!(counter("counted/free-function").get(), 2);

    nested_module::snake_case_name();
    assert_eq!(counter("counted/nested-module/snake-case-name").get(), 1);
}

#[test]
fn methods_of_two_types_count_apart() {
    let store = Store::new();
    let cache = Cache::new();
    let _ = Cache::new();
    assert_eq!(store.get(1), Some(1));
    assert_eq!(cache.get(1), None);
    assert_eq!(cache.get(2), Some(2));
    assert_eq!(counter("counted/Store/new").get(), 1);
    assert_eq!(counter("counted/Cache/new").get(), 2);
    assert_eq!(counter("counted/Store/get").get(), 1);
    assert_eq!(counter("counted/Cache/get").get(), 2);
}

#[test]
fn trait_default_methods_count_every_implementor_in_one_counter() {
    assert_eq!(Store.encode() + Cache.encode(), 14);
    assert_eq!(Store.decode() + Cache.decode(), 3);
    assert_eq!(Store.to_string(), "store");
    assert_eq!(counter("counted/Codec/encode").get(), 2);
    assert_eq!(counter("counted/Store/Codec/decode").get(), 1);
    assert_eq!(counter("counted/Store/Display/fmt").get(), 1);
}

#[test]
fn every_instantiation_of_a_generic_function_shares_one_counter() {
    assert_eq!(generic(&5u8), 5);
    assert_eq!(generic(&"x".to_string()), "x");
    assert_eq!(counter("counted/generic").get(), 2);
    assert_eq!(inlined(), 3);
    assert_eq!(counter("counted/inlined").get(), 1);
}

#[test]
fn functions_never_called_are_registered_at_zero() {
    assert_eq!(counter("counted/never-called").get(), 0);
}

#[test]
fn impl_trait_unsafe_and_extern_c_keep_their_signatures() {
    let f: fn() -> std::array::IntoIter<u8, 3> = || [1, 2, 3].into_iter();
    assert_eq!(returns_impl_trait().sum::<u8>(), f().sum::<u8>());
    let g: unsafe fn(*const u8) -> u8 = unsafe_function;
    // SAFETY: a valid pointer to a local.
    assert_eq!(unsafe { g(&9) }, 9);
    let h: extern "C" fn(i32) -> i32 = c_abi;
    assert_eq!(h(21), 42);
    assert_eq!(counter("counted/returns-impl-trait").get(), 1);
    assert_eq!(counter("counted/unsafe-function").get(), 1);
    assert_eq!(counter("counted/c-abi").get(), 1);
}

#[test]
fn track_caller_still_reports_the_callers_location() {
    let expected_line = line!() + 1;
    let location = where_called();
    assert_eq!(location.file(), file!());
    assert_eq!(location.line(), expected_line);
}

#[test]
fn recursion_early_return_question_mark_and_panics_all_count() {
    assert_eq!(recursive(4), 4);
    assert_eq!(counter("counted/recursive").get(), 5);

    assert_eq!(early_return(-5), -1);
    assert_eq!(early_return(5), 5);
    assert_eq!(counter("counted/early-return").get(), 2);

    assert!(question_mark("x").is_err());
    assert_eq!(question_mark("12"), Ok(12));
    assert_eq!(counter("counted/question-mark").get(), 2);

    assert!(std::panic::catch_unwind(panics).is_err());
    assert!(std::panic::catch_unwind(panics).is_err());
    assert_eq!(counter("counted/panics").get(), 2);
}

#[test]
fn an_async_fn_counts_when_first_polled() {
    let future = asynchronous(2);
    assert_eq!(counter("counted/asynchronous").get(), 0);
    assert_eq!(block_on(future), 6);
    assert_eq!(counter("counted/asynchronous").get(), 1);
}

#[test]
fn explicit_names_may_be_shared_on_purpose() {
    shared_one();
    shared_two();
    shared_two();
    assert_eq!(counter("counted-test/shared").get(), 3);
    let sites: Vec<_> = registry()
        .iter()
        .filter(|c| c.name() == "counted-test/shared")
        .collect();
    assert_eq!(sites.len(), 2);
    assert_eq!(sites[1].description(), "Shared on purpose");
}

#[test]
fn descriptions_come_from_the_first_doc_paragraph_and_sites_from_the_source() {
    let new = counter("counted/Store/new");
    assert_eq!(new.description(), "Makes a store.");
    assert_eq!(new.file(), "tests/counted.rs");
    assert_eq!(new.module_path(), "counted");
    assert_eq!(new.crate_name(), "counted");
    let source = include_str!("counted.rs");
    let line = source.lines().nth(new.line() as usize - 1).unwrap();
    assert_eq!(line.trim(), "fn new() -> Store {");
}
