//! `clinicdesk-clearinghouse-sim`: the clearinghouse simulator on a local
//! port, for trying eligibility checks without a payer.

use clap::Parser;
use clinicdesk_clearinghouse::sim::{Scenarios, SimConfig, Simulator};
use std::net::SocketAddr;

#[derive(Parser)]
#[command(about = "A CAQH CORE clearinghouse simulator answering 270s with 271s")]
struct Args {
    /// Address to listen on; keep it on loopback.
    #[arg(long, default_value = "127.0.0.1:8470")]
    listen: SocketAddr,
    /// JSON scenario file; its members add to and override the built-in ones.
    #[arg(long)]
    scenarios: Option<std::path::PathBuf>,
    #[arg(long, default_value = "clinicdesk")]
    username: String,
    #[arg(long, env = "CLINICDESK_SIM_PASSWORD")]
    password: String,
    /// The simulator's CORE ReceiverID.
    #[arg(long, default_value = "CLEARINGHOUSE")]
    receiver_id: String,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let scenarios = match &args.scenarios {
        None => Scenarios::builtin(),
        Some(path) => {
            let read = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|t| Scenarios::from_json(&t));
            match read {
                Ok(s) => s,
                Err(e) => {
                    eprintln!(
                        "error: the scenario file {} cannot be used: {e}",
                        path.display()
                    );
                    std::process::exit(2);
                }
            }
        }
    };
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}, which is not a loopback address",
            args.listen
        );
    }
    let sim = Simulator::new(SimConfig {
        username: args.username,
        password: args.password,
        receiver_id: args.receiver_id,
        scenarios,
    });
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.listen);
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().unwrap_or(args.listen);
    println!("clearinghouse simulator on http://{addr}/core");
    if let Err(e) = sim.serve(listener).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
