#!/usr/bin/env bash
# `make bench`: the parsing benchmark, then the poller benchmark (which needs moto's server).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_venv test
loopback_env

log "event normalisation (shared/benches/normalise.rs)"
cargo bench -q -p shared --bench normalise

start_moto
export SYNCWARDEN_TEST_DYNAMODB="$MOTO_ENDPOINT"
log "poll of 1,000 stacks through the emulator (tests/benches/poll.rs)"
cargo bench -q -p syncwarden-tests --bench poll
