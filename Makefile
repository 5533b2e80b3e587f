# syncwarden: the two commands are `make demo` and `make test` (see README.md).
.PHONY: demo test bench template build-lambda clean

demo:        ## Run the main job locally, end to end, on loopback
	bash scripts/demo.sh

test:        ## The whole suite: cfn-lint, fmt, clippy, cargo test against local servers
	bash scripts/test.sh

bench:       ## Parsing throughput vs. serde_json, and a 1,000-stack poll vs. its ideal bound
	bash scripts/bench.sh

template:    ## Regenerate template.yaml's table block from shared/src/store/schema.rs
	cargo run -q -p syncwarden-cli -- schema --write template.yaml

build-lambda: ## Release arm64 binaries for `sam deploy` (needs cargo-lambda; see README)
	cargo lambda build --release --arm64 -p sync-events -p pipeline-events -p poller -p notifier -p auto-resolve-blocker

clean:
	rm -rf .local
