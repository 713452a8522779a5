//! The one PainChain binary: `painchain serve` runs the server; the other
//! subcommands are a command-line client for people (`events`, `projects`,
//! `token`) and the connector runner (`connector <type>`).
//!
//! Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.

mod cli;
mod client;
mod connectors;
mod events;
mod healthcheck;
mod investigate;
mod serve;
mod table;
mod tokens;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command, EventsCommand, TokenCommand};
use painchain_server::config::ConfigError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            if let Some(c) = e.downcast_ref::<ConfigError>() {
                eprintln!("error: {c}");
                return ExitCode::from(2);
            }
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await?,
        Command::Events(EventsCommand::List {
            server,
            filter,
            limit,
            json,
        }) => events::list(&server, &filter, limit, json).await?,
        Command::Events(EventsCommand::Tail {
            server,
            filter,
            json,
        }) => events::tail(&server, &filter, json).await?,
        Command::Projects { server, json } => events::projects(&server, json).await?,
        Command::Investigate { server, args } => investigate::run(&server, &args).await?,
        Command::Token(TokenCommand::Create {
            server,
            name,
            scope,
            connector,
            expires,
            tenant,
            all_tenants,
            local,
            store,
            json,
        }) => {
            let tenant = match all_tenants {
                true => Some(painchain_core::token::ALL_TENANTS.to_string()),
                false => tenant,
            };
            tokens::create(
                &server,
                &store,
                local,
                &name,
                tokens::Kind {
                    scope: scope.as_deref(),
                    connector: connector.as_deref(),
                    expires: expires.as_deref(),
                },
                tenant.as_deref(),
                json,
            )
            .await?
        }
        Command::Token(TokenCommand::List {
            server,
            local,
            store,
            json,
        }) => tokens::list(&server, &store, local, json).await?,
        Command::Token(TokenCommand::Revoke {
            server,
            id,
            local,
            store,
        }) => tokens::revoke(&server, &store, local, &id).await?,
        Command::Healthcheck { url } => return Ok(healthcheck::run(url).await),
        Command::Connector {
            connector_type,
            args,
        } => return connectors::run_standalone(&connector_type, args).await,
    }
    Ok(ExitCode::SUCCESS)
}
