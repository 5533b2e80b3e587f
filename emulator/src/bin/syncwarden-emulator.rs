//! Runs the emulator on 127.0.0.1 with a scenario file until SIGTERM or SIGINT.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use syncwarden_emulator::{Emulator, Scenario, SlackServer};

/// Local emulator of CodeConnections Git sync (RPC v2 CBOR), CodePipeline (awsJson1_1) and
/// CloudFormation DescribeStacks (awsQuery).
#[derive(Debug, Parser)]
#[command(name = "syncwarden-emulator", version)]
struct Args {
    /// Scenario JSON file (see emulator/scenarios/demo.json).
    #[arg(long)]
    scenario: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Also serve a local Slack API (webhooks, chat.postMessage, chat.update; bot token
    /// `xoxb-test-token`; GET /admin/messages lists what it received) on this port.
    #[arg(long)]
    slack_port: Option<u16>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    // One plain line per failure: the scenario error already names the file and JSON path.
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("syncwarden-emulator: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let scenario = Scenario::from_file(&args.scenario).map_err(|e| e.to_string())?;
    let emulator = Emulator::start_on(args.port, scenario)
        .await
        .map_err(|e| format!("cannot bind 127.0.0.1:{}: {e}", args.port))?;
    let slack = match args.slack_port {
        Some(port) => Some(
            SlackServer::start_on(port)
                .await
                .map_err(|e| format!("cannot bind 127.0.0.1:{port}: {e}"))?,
        ),
        None => None,
    };
    // Exactly one line on stdout: scripts wait for it to know the server is ready.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", emulator.url())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    drop(stdout);
    shutdown_signal().await.map_err(|e| format!("cannot wait for signals: {e}"))?;
    drop(emulator);
    drop(slack);
    Ok(())
}

async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
