//! `make bench`: events normalised per second over the `events/` mix, next to a plain
//! `serde_json::from_slice::<Value>` of the same bytes (the floor any JSON handler pays).
//!
//! Prints throughputs and their ratio; the ratio is the figure to compare across machines.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use shared::events::{EventFamily, parse_event};

fn samples() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut files = Vec::new();
    for dir in ["codeconnections", "cloudformation", "codepipeline"] {
        let entries =
            std::fs::read_dir(root.join(dir)).unwrap_or_else(|e| panic!("events/{dir}: {e}"));
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|e| e == "json") {
                files.push(std::fs::read(entry.path()).unwrap_or_else(|e| panic!("{e}")));
            }
        }
    }
    files
}

/// Runs `work` over every sample for at least `budget`; returns events per second.
fn throughput(samples: &[Vec<u8>], budget: Duration, work: impl Fn(&[u8]) -> bool) -> f64 {
    // Warm up caches and the branch predictor on one pass.
    for s in samples {
        black_box(work(black_box(s)));
    }
    let start = Instant::now();
    let mut events = 0u64;
    while start.elapsed() < budget {
        for s in samples {
            black_box(work(black_box(s)));
        }
        events += samples.len() as u64;
    }
    events as f64 / start.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let samples = samples();
    let bytes: usize = samples.iter().map(Vec::len).sum();
    for s in &samples {
        if let Err(e) = parse_event(s, EventFamily::ALL) {
            panic!("a sample does not parse: {e}");
        }
    }
    // Alternate short rounds of each, so drift in machine load hits both alike; report medians.
    let budget = Duration::from_millis(400);
    let (mut value, mut normalise, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..9 {
        let v = throughput(&samples, budget, |s| {
            serde_json::from_slice::<serde_json::Value>(s).is_ok()
        });
        let n = throughput(&samples, budget, |s| parse_event(s, EventFamily::ALL).is_ok());
        value.push(v);
        normalise.push(n);
        ratios.push(n / v);
    }
    let (value, normalise, ratio) = (median(value), median(normalise), median(ratios));
    println!(
        "events/ mix: {} events, {} bytes on average",
        samples.len(),
        bytes / samples.len().max(1)
    );
    println!("serde_json::Value parse : {value:>12.0} events/s");
    println!("normalise (parse_event) : {normalise:>12.0} events/s");
    println!(
        "ratio normalise / Value : {:>12.2}  (median of 9 rounds; 1.00 = as fast as a Value parse)",
        ratio
    );
}
