//! `object-storage`: the example back end as a server.
//!
//! ```sh
//! LATCHKEY_URL=http://127.0.0.1:5080 LATCHKEY_CLIENT_ID=… LATCHKEY_CLIENT_SECRET=… \
//!   object-storage --listen 127.0.0.1:8080 --project 0123…=lk0001-lk --seed
//! ```

use std::net::SocketAddr;

use clap::Parser;
use latchkey_client::Settings;
use latchkey_guard::Guard;

#[derive(Debug, Parser)]
#[command(
    name = "object-storage",
    about = "Example object storage behind the Latchkey guard"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A project and the account that owns it, `ID=NIC` (repeatable).
    #[arg(long = "project", value_parser = parse_project)]
    projects: Vec<(String, String)>,
    /// Put the seed's photo in every listed project.
    #[arg(long)]
    seed: bool,
    /// The region plate of resource URNs.
    #[arg(long, default_value = "eu")]
    plate: String,
    /// Serve without the guard (to measure what the guard costs; never in production).
    #[arg(long)]
    no_guard: bool,
}

fn parse_project(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(p, n)| (p.to_owned(), n.to_owned()))
        .ok_or_else(|| format!("{s:?} is not ID=NIC"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LATCHKEY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let store = latchkey_example_object_storage::Store::new(&args.plate);
    for (project, nic) in &args.projects {
        store.register_project(project, nic);
        if args.seed {
            store.seed(project);
        }
    }
    let guard = if args.no_guard {
        tracing::warn!("serving WITHOUT the guard");
        None
    } else {
        // The guard's own credentials: LATCHKEY_URL with LATCHKEY_CLIENT_ID/SECRET (or a PAT).
        let settings = Settings::from_env()?;
        Some(
            Guard::builder(settings.url, settings.credentials)
                .build()
                .await?,
        )
    };
    if let Some(guard) = &guard {
        store.register_through(guard.clone());
        if args.seed {
            for (project, _) in &args.projects {
                store.create_container(project, "photos").await?;
            }
        }
    }
    let app = latchkey_example_object_storage::router(store, guard);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    tracing::info!(listen = %listener.local_addr()?, "object storage serving");
    // The peer's address reaches the guard, for IAM conditions on `request.IP`.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}
