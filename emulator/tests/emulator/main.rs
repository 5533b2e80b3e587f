//! Integration tests: the real AWS SDK clients against the emulator on loopback.
//! One test binary (modules below) to keep link time down on small machines.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod admin;
mod binary;
mod cloudformation;
mod codeconnections;
mod codepipeline;
mod faults;
mod lifecycle;
mod support;
