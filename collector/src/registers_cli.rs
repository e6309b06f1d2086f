//! The register commands of `trustwatch-collector` (binary only): API
//! tokens, exceptions and central policy. Each opens the store the
//! `--config` names (SQLite or PostgreSQL), so an operator's shell and
//! every collector sharing the database see the same registers. The work
//! is the library's; this file parses flags and prints.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustwatch_collector::store::api_tokens::parse_ttl;
use trustwatch_collector::store::exceptions::parse_date;
use trustwatch_collector::store::{
    Actor, Change, ExceptionQuery, ExceptionState, NewException, Role,
};
use trustwatch_collector::{Config, Error, Store};
use trustwatch_rules::Catalogue;

#[derive(Args)]
pub struct ConfigArg {
    /// The collector.toml whose store to use.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

#[derive(Subcommand)]
pub enum ApiTokenCommand {
    /// Create a token; its text is printed once, on stdout.
    Create {
        #[command(flatten)]
        config: ConfigArg,
        /// Who or what holds it (e.g. grafana, siem-export).
        #[arg(long)]
        name: String,
        /// admin, analyst or auditor.
        #[arg(long)]
        role: String,
        /// Lifetime, e.g. 90d, 12h (default: until revoked).
        #[arg(long, value_name = "D")]
        ttl: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Revoke a token: its next request is refused.
    Revoke {
        #[command(flatten)]
        config: ConfigArg,
        id: String,
    },
}

#[derive(Subcommand)]
pub enum ExceptionCommand {
    /// Record a risk the SIRO accepted for a rule on a target.
    Add(ExceptionAddArgs),
    /// List exceptions with their state.
    List {
        #[command(flatten)]
        config: ConfigArg,
        /// active, expired or withdrawn.
        #[arg(long)]
        state: Option<String>,
        /// Those that can apply at this site.
        #[arg(long)]
        site: Option<String>,
    },
    /// Withdraw an exception: it stops applying at once.
    Withdraw {
        #[command(flatten)]
        config: ConfigArg,
        id: i64,
    },
}

#[derive(Args)]
pub struct ExceptionAddArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The rule id, e.g. TLS-002.
    #[arg(long)]
    rule: String,
    /// The finding's exact target (e.g. 10.1.2.3:443), or '*' for every target.
    #[arg(long)]
    target: String,
    /// Only at this site (default: any site).
    #[arg(long)]
    site: Option<String>,
    /// Who owns the risk.
    #[arg(long)]
    owner: String,
    /// When the SIRO accepted it (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD")]
    siro_accepted: String,
    /// The compensating control.
    #[arg(long)]
    control: String,
    /// Why the risk is accepted.
    #[arg(long)]
    reason: String,
    /// When it stops applying (YYYY-MM-DD, at most 3 years after acceptance).
    #[arg(long, value_name = "YYYY-MM-DD")]
    expires: String,
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Set a site's policy from a TOML file (the version goes up by one).
    Set {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        site: String,
        /// The policy file.
        file: PathBuf,
    },
    /// Print a site's policy as its agents receive it.
    Show {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        site: String,
    },
    /// List sites with a policy.
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
}

async fn open(config: &Path) -> anyhow::Result<Store> {
    let config = Config::load(config)?;
    Ok(Store::connect(&config.store, &config.data_dir).await?)
}

fn show(t: Option<OffsetDateTime>) -> String {
    t.and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".into())
}

pub async fn api_token(cmd: ApiTokenCommand) -> anyhow::Result<()> {
    match cmd {
        ApiTokenCommand::Create {
            config,
            name,
            role,
            ttl,
        } => {
            let role = Role::parse(&role).ok_or_else(|| Error::InvalidArgument {
                what: "--role",
                value: role.clone(),
                reason: "it is not one of admin, analyst, auditor".into(),
            })?;
            let ttl = ttl.as_deref().map(parse_ttl).transpose()?;
            trustwatch_collector::store::api_tokens::check_name(&name)?;
            let store = open(&config.config).await?;
            let now = OffsetDateTime::now_utc().unix_timestamp();
            let issued = store
                .create_api_token(&name, role, ttl.map(|t| now + t), &Actor::cli())
                .await?;
            // The token alone on stdout, so `TOKEN=$(… api-token create …)`
            // captures just it; the description goes to stderr.
            println!("{}", issued.text);
            eprintln!(
                "created API token {} ({name}, role {}), expires {}; it is shown only now, the collector keeps only its SHA-256",
                issued.token.id,
                role.as_str(),
                issued.token.expires_at.map_or("never (revoke it with `api-token revoke`)".into(), |t| show(Some(t)))
            );
        }
        ApiTokenCommand::List { config } => {
            let tokens = open(&config.config).await?.api_tokens().await?;
            println!(
                "{:<16}  {:<8}  {:<20}  {:<20}  {:<20}  {:<20}  NAME",
                "ID", "ROLE", "CREATED", "EXPIRES", "REVOKED", "LAST USED"
            );
            for t in tokens {
                println!(
                    "{:<16}  {:<8}  {:<20}  {:<20}  {:<20}  {:<20}  {}",
                    t.id,
                    t.role.as_str(),
                    show(Some(t.created_at)),
                    show(t.expires_at),
                    show(t.revoked_at),
                    show(t.last_used),
                    t.name
                );
            }
        }
        ApiTokenCommand::Revoke { config, id } => {
            let store = open(&config.config).await?;
            match store.revoke_api_token(&id, &Actor::cli()).await? {
                Change::Done(t) => println!("revoked API token {} ({})", t.id, t.name),
                Change::Already(t) => println!(
                    "API token {} ({}) was already revoked at {}",
                    t.id,
                    t.name,
                    show(t.revoked_at)
                ),
                Change::NotFound => {
                    return Err(Error::InvalidArgument {
                        what: "API token id",
                        value: id,
                        reason: "no such token (see `api-token list`)".into(),
                    }
                    .into())
                }
            }
        }
    }
    Ok(())
}

pub async fn exception(cmd: ExceptionCommand) -> anyhow::Result<()> {
    match cmd {
        ExceptionCommand::Add(a) => {
            let new = NewException {
                site: a.site,
                rule_id: a.rule,
                target: a.target,
                owner: a.owner,
                siro_accepted_on: parse_date("--siro-accepted", &a.siro_accepted)?,
                compensating_control: a.control,
                reason: a.reason,
                expires_on: parse_date("--expires", &a.expires)?,
            };
            let catalogue = Catalogue::embedded().context("cannot load the rule catalogue")?;
            new.validate(&catalogue, OffsetDateTime::now_utc().date())?;
            let store = open(&a.config.config).await?;
            let e = store.add_exception(&new, &Actor::cli()).await?;
            println!(
                "added exception {}: {} on {} (site {}), owner {}, expires {}",
                e.id,
                e.rule_id,
                e.target,
                e.site.as_deref().unwrap_or("any"),
                e.owner,
                e.expires
            );
        }
        ExceptionCommand::List {
            config,
            state,
            site,
        } => {
            let state = state
                .map(|s| {
                    ExceptionState::parse(&s).ok_or_else(|| Error::InvalidArgument {
                        what: "--state",
                        value: s.clone(),
                        reason: "it is not one of active, expired, withdrawn".into(),
                    })
                })
                .transpose()?;
            let store = open(&config.config).await?;
            println!(
                "{:>6}  {:<9}  {:<10}  {:<12}  {:<10}  {:<24}  OWNER",
                "ID", "STATE", "EXPIRES", "SITE", "RULE", "TARGET"
            );
            let mut after = None;
            loop {
                let page = store
                    .exceptions(ExceptionQuery {
                        site: site.clone(),
                        state,
                        after: after.take(),
                        limit: Some(trustwatch_collector::store::query::MAX_PAGE),
                        ..ExceptionQuery::default()
                    })
                    .await?;
                for e in &page {
                    let state = serde_json::to_value(e.state)?;
                    println!(
                        "{:>6}  {:<9}  {:<10}  {:<12}  {:<10}  {:<24}  {}",
                        e.id,
                        state.as_str().unwrap_or("?"),
                        e.expires,
                        e.site.as_deref().unwrap_or("*"),
                        e.rule_id,
                        e.target,
                        e.owner
                    );
                }
                match page.last() {
                    Some(last)
                        if page.len() == trustwatch_collector::store::query::MAX_PAGE as usize =>
                    {
                        after = Some(trustwatch_collector::store::Cursor::Id(last.id));
                    }
                    _ => break,
                }
            }
        }
        ExceptionCommand::Withdraw { config, id } => {
            let store = open(&config.config).await?;
            match store.withdraw_exception(id, &Actor::cli()).await? {
                Change::Done(e) => {
                    println!("withdrew exception {}: {} on {}", e.id, e.rule_id, e.target)
                }
                Change::Already(e) => println!(
                    "exception {} was already withdrawn at {}",
                    e.id,
                    show(e.withdrawn_at)
                ),
                Change::NotFound => {
                    return Err(Error::InvalidArgument {
                        what: "exception id",
                        value: id.to_string(),
                        reason: "no such exception (see `exception list`)".into(),
                    }
                    .into())
                }
            }
        }
    }
    Ok(())
}

pub async fn policy(cmd: PolicyCommand) -> anyhow::Result<()> {
    match cmd {
        PolicyCommand::Set { config, site, file } => {
            trustwatch_collector::ca::check_label("site", &site)?;
            let catalogue = Catalogue::embedded().context("cannot load the rule catalogue")?;
            let body = trustwatch_collector::policy::load(&file, &catalogue)?;
            let store = open(&config.config).await?;
            let p = store.set_policy(&site, &body, &Actor::cli()).await?;
            println!("policy for site {} is now version {}", p.site, p.version);
        }
        PolicyCommand::Show { config, site } => {
            let store = open(&config.config).await?;
            match store.policy(&site).await? {
                Some(p) => println!("{}", serde_json::to_string_pretty(&p.view())?),
                None => anyhow::bail!("site `{site}` has no central policy"),
            }
        }
        PolicyCommand::List { config } => {
            let store = open(&config.config).await?;
            println!(
                "{:<24}  {:>7}  {:<20}  UPDATED BY",
                "SITE", "VERSION", "UPDATED"
            );
            for p in store.policies().await? {
                println!(
                    "{:<24}  {:>7}  {:<20}  {}",
                    p.site,
                    p.version,
                    show(Some(p.updated_at)),
                    p.updated_by
                );
            }
        }
    }
    Ok(())
}
