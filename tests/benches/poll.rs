//! `make bench`: one poll of 1,000 Git-synced stacks through the control-plane emulator with
//! 25 ms added to every call, against moto's DynamoDB on loopback.
//!
//! Prints the wall time next to the ideal bound (calls × latency / concurrency) and their
//! ratio, then the DynamoDB writes of a second poll over the unchanged fleet (should be 0).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up should stop

use std::time::{Duration, Instant};

use shared::poll::{PollConfig, Poller};
use syncwarden_emulator::{Emulator, Faults, Scenario};
use syncwarden_tests::{control_plane, fixture};

const STACKS: usize = 1000;
const LATENCY_MS: u64 = 25;

#[tokio::main]
async fn main() {
    let emulator = Emulator::start(Scenario::fleet(STACKS)).await.expect("start the emulator");
    emulator.set_faults(Faults { latency_ms: LATENCY_MS, ..Faults::default() });
    let f = fixture("bench-poll").await;
    let config = PollConfig { stop_margin: Duration::ZERO, ..PollConfig::default() };
    let concurrency = config.concurrency;
    let poller = Poller::new(control_plane(&emulator.url()), f.store.clone(), None, config);

    let started = Instant::now();
    let first = poller.run(started + Duration::from_secs(900)).await.expect("first poll");
    let wall = started.elapsed();
    assert!(first.complete && first.failures.is_empty(), "{first:?}");
    let calls: u64 = emulator.calls().values().sum();
    // Discovery is partly sequential (pages of links); the bound counts every call as parallel.
    let ideal = Duration::from_millis(calls * LATENCY_MS / concurrency as u64);
    println!(
        "poll of {STACKS} stacks ({} targets), {LATENCY_MS} ms per call, concurrency {concurrency}",
        first.targets
    );
    println!("control-plane calls      : {calls:>10}");
    println!("wall time                : {:>10.2} s", wall.as_secs_f64());
    println!("ideal (calls×latency/conc): {:>9.2} s", ideal.as_secs_f64());
    println!("ratio wall / ideal       : {:>10.2}", wall.as_secs_f64() / ideal.as_secs_f64());
    println!("state writes, first poll : {:>10}", first.state_writes);

    f.ops.reset();
    let second = poller.run(Instant::now() + Duration::from_secs(900)).await.expect("second poll");
    assert!(second.complete);
    println!("DynamoDB writes, unchanged second poll: {}", f.ops.writes());
    println!(
        "DynamoDB reads, unchanged second poll : {} Query, {} GetItem",
        f.ops.count("Query"),
        f.ops.count("GetItem")
    );
}
