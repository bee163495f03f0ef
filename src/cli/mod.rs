//! The command line: `serve` (default), `demo`, `admin`, `check`, `backup`, `restore`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

mod api_credentials;
mod backup;
mod bench;
mod bench_api;
mod bench_backup;
mod bench_fraud;
mod bench_group;
mod bench_rollups;
mod first_admin;

use crate::app::App;
use crate::auth::bootstrap::first_admin;
use crate::auth::login::issue_one_time_password;
use crate::auth::{AccountError, HashError};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, SmtpConfig, SmtpSecurity};
use crate::db::{self, Db, audit::AuditEntry, users};
use crate::demo::DemoError;
use crate::domain::actor::Actor;
use crate::domain::zone::Zone;

/// Why a command (or the bench) failed; `main` prints it as `error: …`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The data file or its key file could not be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: db::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The hash that unknown usernames are checked against could not be made.
    #[error("cannot start: the sign-in decoy hash: {0}")]
    Decoy(#[source] HashError),
    /// A flag, setting or argument is invalid (the message says which).
    #[error("{0}")]
    Usage(String),
    #[error("no user {0}")]
    NoUser(String),
    /// `check` found problems (printed before).
    #[error("{0} problems found")]
    Problems(usize),
    /// A step of the bench did not go through (the message says which).
    #[error("{0}")]
    Bench(&'static str),
    #[error(transparent)]
    Storage(#[from] db::Error),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    /// The certificate or key of --tls-cert/--tls-key cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

#[derive(Parser)]
#[command(
    name = "guichet",
    version,
    about = "Self-hosted payment gateway and back office"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
    /// How log lines are written: text, or json (one object a line).
    #[arg(
        long,
        env = "GUICHET_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: crate::observe::logging::LogFormat,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start the server (the default).
    Serve(Box<ServeArgs>),
    /// Fill an empty data file with demo merchants, users and transactions.
    Demo(DemoArgs),
    /// Account maintenance from the shell.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
        /// The data file (before or after the action: `admin api-credentials 3 --data F`).
        #[arg(
            long,
            env = "GUICHET_DATA",
            default_value = "data/guichet.redb",
            global = true
        )]
        data: PathBuf,
        /// The key file (default: the data file with the extension .keys, or the
        /// systemd credential guichet.keys).
        #[arg(long, env = "GUICHET_KEY_FILE", global = true)]
        key_file: Option<PathBuf>,
    },
    /// Time searches and exports on a data file (see `make bench`).
    Bench {
        #[arg(long, env = "GUICHET_DATA", default_value = "data/bench.redb")]
        data: PathBuf,
        /// The key file (default: the data file with the extension .keys, or the
        /// systemd credential guichet.keys).
        #[arg(long, env = "GUICHET_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// Only the read figures (searches, authorizations, Home and Statistics):
        /// no exports, no payments.
        #[arg(long)]
        reads_only: bool,
        /// One part only: `fraud` (rule checks and the backtest), `payments`
        /// (durable payment throughput, rules off and on), `api` (the merchant API
        /// over HTTP and the callback queue), `backup` (a backup while 8 clients pay).
        #[arg(long, value_parser = ["fraud", "payments", "api", "backup"])]
        only: Option<String>,
    },
    /// Back up a data file, its server running or not: a consistent copy from one
    /// read transaction, checked (see README, Backups).
    Backup {
        #[arg(long, env = "GUICHET_DATA", default_value = "data/guichet.redb")]
        data: PathBuf,
        /// The key file (default: the data file with the extension .keys, or the
        /// systemd credential guichet.keys).
        #[arg(long, env = "GUICHET_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// The backup file to write (never overwritten).
        #[arg(long)]
        to: PathBuf,
        /// Encrypt for this age public key (age1…; repeat for several). The key
        /// file goes inside.
        #[arg(long = "encrypt-to")]
        encrypt_to: Vec<String>,
        /// Encrypt with the passphrase on this file's first line (age, scrypt). The
        /// key file goes inside.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Restore a backup as a data file (its server stopped), checked first.
    Restore {
        /// The backup (`.redb` or `.age`).
        #[arg(long)]
        from: PathBuf,
        #[arg(long, env = "GUICHET_DATA", default_value = "data/guichet.redb")]
        data: PathBuf,
        /// Where the key file goes or is (default: beside the data file).
        #[arg(long, env = "GUICHET_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// The age identity file of a backup encrypted for a recipient.
        #[arg(long)]
        identity: Option<PathBuf>,
        /// The passphrase file of a backup encrypted with a passphrase.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Replace an existing data file (and key file).
        #[arg(long)]
        force: bool,
    },
    /// Compact a data file (the server stopped): free pages go back to the file
    /// system, after a bulk load or a large purge.
    Compact {
        #[arg(long, env = "GUICHET_DATA", default_value = "data/guichet.redb")]
        data: PathBuf,
    },
    /// Check a data file: domain rules, links, indexes and rollups.
    Check {
        #[arg(long, env = "GUICHET_DATA", default_value = "data/guichet.redb")]
        data: PathBuf,
        /// The key file (default: the data file with the extension .keys, or the
        /// systemd credential guichet.keys).
        #[arg(long, env = "GUICHET_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// Print the tables' rows and bytes only, without checking the rows.
        #[arg(long)]
        sizes_only: bool,
    },
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GUICHET_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The data file.
    #[arg(long, env = "GUICHET_DATA", default_value = "data/guichet.redb")]
    pub data: PathBuf,
    /// The key file: card storage-token keys and the CSRF key, never in the data file
    /// (default: the data file with the extension .keys, or the systemd credential
    /// guichet.keys when $CREDENTIALS_DIRECTORY has one).
    #[arg(long, env = "GUICHET_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Public base URL for links sent to customers (default: http://ADDR, or
    /// https://ADDR with --tls-cert). An https URL also makes cookies Secure with the
    /// __Host- prefix and adds HSTS (a TLS proxy in front).
    #[arg(long, env = "GUICHET_BASE_URL")]
    pub base_url: Option<String>,
    /// Serve HTTPS on --addr with this certificate chain (PEM, the server's
    /// certificate first; needs --tls-key). The files are read again on SIGHUP and
    /// when they change: new connections get the new certificate, open ones go on.
    #[arg(long, env = "GUICHET_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "GUICHET_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds between two looks at the --tls-cert and --tls-key files for a
    /// change; 0: reload on SIGHUP only.
    #[arg(long, env = "GUICHET_TLS_WATCH_SECONDS", default_value_t = 5)]
    pub tls_watch_seconds: u64,
    /// Serve HTTPS on --addr with a certificate obtained by ACME for this name
    /// (repeat for several; the first is the subject). The CA must reach --addr on
    /// port 443 (TLS-ALPN-01 challenge). The account, certificate and key are kept in
    /// acme/ beside the data file and renewed 30 days before the end.
    #[arg(
        long = "acme-domain",
        env = "GUICHET_ACME_DOMAINS",
        value_delimiter = ',',
        conflicts_with = "tls_cert"
    )]
    pub acme_domains: Vec<String>,
    /// The ACME account's contact address (the CA's expiry notices).
    #[arg(long, env = "GUICHET_ACME_EMAIL")]
    pub acme_email: Option<String>,
    /// The ACME directory URL (another CA, or a staging one).
    #[arg(long, env = "GUICHET_ACME_DIRECTORY", default_value = crate::acme::LETS_ENCRYPT)]
    pub acme_directory: String,
    /// A root certificate (PEM) to trust for the ACME directory's HTTPS instead of
    /// the system's (a private or test CA).
    #[arg(long, env = "GUICHET_ACME_DIRECTORY_CA")]
    pub acme_directory_ca: Option<PathBuf>,
    /// With HTTPS: also listen on this address in plain HTTP (e.g. 0.0.0.0:80) and
    /// redirect every request (308) to the same path and query on the base URL.
    #[arg(long, env = "GUICHET_HTTP_REDIRECT_ADDR")]
    pub http_redirect_addr: Option<SocketAddr>,
    /// Username of the first admin created on an empty data file.
    #[arg(long, env = "GUICHET_ADMIN", default_value = "admin")]
    pub admin_username: String,
    /// Also write the first admin's one-time password to this file (mode 0600),
    /// deleted at a later start once that admin has chosen their own password. The
    /// Debian package sets /var/lib/guichet/first-admin-password.
    #[arg(long, env = "GUICHET_FIRST_ADMIN_PASSWORD_FILE")]
    pub first_admin_password_file: Option<PathBuf>,
    /// SMTP server for emails to customers. Without it, emails wait in the outbox.
    #[arg(long, env = "GUICHET_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// Port of the SMTP server.
    #[arg(long, env = "GUICHET_SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,
    /// plain (local relay, tests), starttls (port 587) or tls (port 465).
    #[arg(
        long,
        env = "GUICHET_SMTP_SECURITY",
        value_enum,
        default_value = "starttls"
    )]
    pub smtp_security: SmtpSecurity,
    /// User name to sign in to the SMTP server (none: no authentication).
    #[arg(long, env = "GUICHET_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// Password to sign in to the SMTP server (never shown by --help).
    #[arg(long, env = "GUICHET_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// Sender address of emails to customers.
    #[arg(long, env = "GUICHET_MAIL_FROM", default_value = "guichet@localhost")]
    pub mail_from: String,
    /// Refused attempts on one payment request before it is blocked (code 585).
    #[arg(long, env = "GUICHET_MAX_ATTEMPTS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
    /// A reverse proxy in front of Guichet: an address or a CIDR range (10.0.0.0/8,
    /// ::1, 2001:db8::/32; repeat, or a comma list). Requests from it are
    /// attributed to the right-most address of --proxy-header that is not a trusted
    /// proxy: History, audit lines, fraud rules and sign-in limits then see the
    /// client. From any other peer the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "GUICHET_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_proxy
    )]
    pub trusted_proxies: Vec<crate::config::IpRange>,
    /// The header the trusted proxies write the client's address in; the other is
    /// never read (a client could write it).
    #[arg(
        long,
        env = "GUICHET_PROXY_HEADER",
        value_enum,
        default_value = "x-forwarded-for"
    )]
    pub proxy_header: crate::config::ProxyHeader,
    /// The appliance's time zone, an IANA name (Africa/Casablanca, Europe/Paris,
    /// UTC…): dates on customers' pages and in emails, and for every user who has not
    /// chosen their own in their profile. The zone rules are compiled into the binary.
    #[arg(long, env = "GUICHET_TIME_ZONE", default_value = crate::domain::zone::DEFAULT, value_parser = parse_zone)]
    pub time_zone: String,
    /// A host that callbacks to the shops may reach even on a loopback, private or
    /// link-local address (repeat for several; e.g. a shop on the appliance's own
    /// network). Others are refused.
    #[arg(
        long = "callback-allow-host",
        env = "GUICHET_CALLBACK_ALLOW_HOSTS",
        value_delimiter = ','
    )]
    pub callback_allow_hosts: Vec<String>,
    /// Where scheduled backups (and the admin page's "Back up now") go. Without it,
    /// the server makes no backup by itself (`guichet backup` still works).
    #[arg(long, env = "GUICHET_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How often: a number and a unit, 30m, 6h, 24h, 7d.
    #[arg(long, env = "GUICHET_BACKUP_EVERY", default_value = "24h", value_parser = crate::domain::backup::parse_every)]
    pub backup_every: u64,
    /// How many scheduled backups to keep (the newest; older ones it made are
    /// deleted). 0 keeps every one.
    #[arg(long, env = "GUICHET_BACKUP_KEEP", default_value_t = 7)]
    pub backup_keep: usize,
    /// Encrypt the server's backups for this age public key (age1…; repeat, or a
    /// comma list). The key file then goes inside.
    #[arg(
        long = "backup-encrypt-to",
        env = "GUICHET_BACKUP_ENCRYPT_TO",
        value_delimiter = ','
    )]
    pub backup_encrypt_to: Vec<String>,
    /// Encrypt the server's backups with the passphrase on this file's first line
    /// (read at start). The key file then goes inside.
    #[arg(long, env = "GUICHET_BACKUP_PASSPHRASE_FILE")]
    pub backup_passphrase_file: Option<PathBuf>,
    /// Days an email sent or given up is kept before housekeeping removes it (its
    /// payment request then shows it no more).
    #[arg(long, env = "GUICHET_RETAIN_EMAILS_DAYS", default_value_t = 180, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub retain_emails_days: u32,
    /// Days a callback delivered or given up is kept before housekeeping removes it.
    #[arg(long, env = "GUICHET_RETAIN_CALLBACKS_DAYS", default_value_t = 180, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub retain_callbacks_days: u32,
    /// Serve Prometheus metrics at /metrics to clients that send
    /// `Authorization: Bearer TOKEN`, TOKEN being this file's first line (at least
    /// 16 characters). Without it, /metrics does not exist.
    #[arg(long, env = "GUICHET_METRICS_TOKEN_FILE")]
    pub metrics_token_file: Option<PathBuf>,
    /// /readyz answers 503 when the email outbox (with an SMTP server) or the
    /// callbacks have an item overdue by more than this many minutes.
    #[arg(long, env = "GUICHET_READY_STUCK_MINUTES", default_value_t = crate::config::DEFAULT_READY_STUCK_MINUTES, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub ready_stuck_minutes: u32,
}

/// `--trusted-proxy`: an address or a CIDR range.
fn parse_proxy(s: &str) -> Result<crate::config::IpRange, String> {
    crate::config::IpRange::parse(s).map_err(|e| e.en)
}

/// `--time-zone`: an unknown name stops the server before it starts, saying why; a
/// known one is kept as the database spells it.
fn parse_zone(s: &str) -> Result<String, String> {
    Zone::parse(s)
        .map(|z| z.name().to_string())
        .map_err(|e| e.to_string())
}

impl ServeArgs {
    /// The validated configuration.
    pub fn config(&self) -> Result<Config, String> {
        let acme = !self.acme_domains.is_empty();
        let https = self.tls_cert.is_some() || acme;
        let base_url = self
            .base_url
            .clone()
            .or_else(|| match self.acme_domains.first() {
                Some(domain) => Some(format!("https://{domain}")),
                None => https.then(|| format!("https://{}", self.addr)),
            });
        let mut config = Config::new(self.addr, self.data.clone(), base_url)?;
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            if !config.base_url.starts_with("https://") {
                return Err(format!(
                    "--base-url must start with https:// when serving HTTPS (got {:?})",
                    config.base_url
                ));
            }
            let mut tls = crate::tls::Settings::new(cert.clone(), key.clone());
            tls.watch_every = std::time::Duration::from_secs(self.tls_watch_seconds);
            config.tls = Some(tls);
        }
        if acme {
            if !config.base_url.starts_with("https://") {
                return Err(format!(
                    "--base-url must start with https:// when serving HTTPS (got {:?})",
                    config.base_url
                ));
            }
            for domain in &self.acme_domains {
                let ok = !domain.is_empty()
                    && domain.contains('.')
                    && domain
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
                if !ok {
                    return Err(format!("--acme-domain: {domain:?} is not a domain name"));
                }
            }
            let mut settings = crate::acme::Settings::new(self.acme_domains.clone(), &self.data);
            settings.email = self.acme_email.clone();
            settings.directory = self.acme_directory.clone();
            settings.directory_ca = self.acme_directory_ca.clone();
            config.acme = Some(settings);
        }
        if let Some(addr) = self.http_redirect_addr {
            if !https {
                return Err(
                    "--http-redirect-addr redirects to HTTPS: it needs --tls-cert and --tls-key, or --acme-domain"
                        .into(),
                );
            }
            if addr == self.addr {
                return Err(format!(
                    "--http-redirect-addr must differ from --addr (both {addr})"
                ));
            }
            config.http_redirect_addr = Some(addr);
        }
        config.smtp = self.smtp_host.as_ref().map(|host| SmtpConfig {
            host: host.clone(),
            port: self.smtp_port,
            security: self.smtp_security,
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
        });
        if !self.mail_from.contains('@') || self.mail_from.contains(char::is_whitespace) {
            return Err(format!(
                "--mail-from must be an email address (got {:?})",
                self.mail_from
            ));
        }
        config.mail_from = self.mail_from.clone();
        config.max_attempts = self.max_attempts;
        config.trusted_proxies = self.trusted_proxies.clone();
        config.proxy_header = self.proxy_header;
        config.key_file = self.key_file.clone();
        config.callback_allow_hosts = self
            .callback_allow_hosts
            .iter()
            .map(|h| crate::domain::callback::normalize_host(h))
            .filter(|h| !h.is_empty())
            .collect();
        config.time_zone = Zone::parse(&self.time_zone).map_err(|e| format!("--time-zone: {e}"))?;
        config.retention = crate::db::housekeeping::Retention {
            emails_days: self.retain_emails_days,
            callbacks_days: self.retain_callbacks_days,
            ..crate::db::housekeeping::Retention::default()
        };
        config.metrics_token = self
            .metrics_token_file
            .as_deref()
            .map(crate::config::read_metrics_token)
            .transpose()?;
        config.ready_stuck_minutes = self.ready_stuck_minutes;
        config.backup = crate::backup::Settings {
            dir: self.backup_dir.clone(),
            every: self.backup_every,
            keep: self.backup_keep,
            encryption: crate::backup::Encryption::from_flags(
                &self.backup_encrypt_to,
                self.backup_passphrase_file.as_deref(),
            )
            .map_err(|e| format!("backup encryption: {e}"))?,
            ..crate::backup::Settings::default()
        };
        Ok(config)
    }
}

#[derive(Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 250_000)]
    pub transactions: u64,
    #[arg(long, env = "GUICHET_DATA", default_value = "data/demo.redb")]
    pub data: PathBuf,
    /// The key file (default: the data file with the extension .keys).
    #[arg(long, env = "GUICHET_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

#[derive(Subcommand)]
pub enum AdminAction {
    /// Create an admin account; prints its one-time password.
    CreateAdmin { username: String },
    /// Give an account a new one-time password (also lifts a lock and reactivates).
    ResetPassword { username: String },
    /// Lift the 30-minute lock of a username.
    Unlock { username: String },
    /// Remove an account's second factor (lost phone and recovery codes); its
    /// sessions end and an admin enrols again at next sign-in.
    ResetSecondFactor { username: String },
    /// Add a new card storage-token key, re-key every stored token with it and drop
    /// the old key from the key file. Run with the server stopped.
    RotateCardKey,
    /// Create an API credential for a merchant (HTTP Basic of the merchant API);
    /// prints its originator ID and password, shown only this once.
    ApiCredentials { merchant_id: u64 },
}

/// Runs the parsed command. Errors are printed by `main`.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        None => serve(cli.serve, cli.log_format).await,
        Some(Command::Serve(args)) => serve(*args, cli.log_format).await,
        Some(Command::Demo(args)) => demo(args),
        Some(Command::Admin {
            action,
            data,
            key_file,
        }) => admin(&data, key_file.as_deref(), action),
        Some(Command::Compact { data }) => {
            let (before, after) = crate::db::sizes::compact_data_file(&data)?;
            println!(
                "{}: {before} bytes before, {after} bytes after compaction",
                data.display()
            );
            Ok(())
        }
        Some(Command::Check {
            data,
            key_file,
            sizes_only,
        }) => check(&data, key_file.as_deref(), sizes_only),
        Some(Command::Backup {
            data,
            key_file,
            to,
            encrypt_to,
            passphrase_file,
        }) => backup::backup(
            &data,
            key_file.as_deref(),
            &to,
            &encrypt_to,
            passphrase_file.as_deref(),
        ),
        Some(Command::Restore {
            from,
            data,
            key_file,
            identity,
            passphrase_file,
            force,
        }) => backup::restore(
            from,
            data,
            key_file,
            identity,
            passphrase_file.as_deref(),
            force,
        ),
        Some(Command::Bench {
            data,
            key_file,
            reads_only,
            only,
        }) => bench::run(&data, key_file.as_deref(), reads_only, only.as_deref()).await,
    }
}

async fn serve(
    args: ServeArgs,
    log_format: crate::observe::logging::LogFormat,
) -> Result<(), CliError> {
    let config = args.config().map_err(CliError::Usage)?;
    // A certificate that cannot be used stops the server before it opens anything.
    if let Some(tls) = &config.tls {
        crate::tls::load(tls)?;
    }
    // Made now, so that a server that could not make it never starts.
    crate::auth::hashing::decoy_hash().map_err(CliError::Decoy)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let app = App::build(config, clock.clone()).map_err(|source| CliError::Open {
        path: args.data.clone(),
        source,
    })?;
    let password_file = args.first_admin_password_file.as_deref();
    if let Some(path) = password_file
        && first_admin::remove_if_used(&app.state.db, path)?
    {
        tracing::info!(file = %path.display(), "first admin's password changed: one-time password file deleted");
    }
    if let Some(otp) = first_admin(&app.state.db, &args.admin_username, clock.now())? {
        let base_url = &app.state.config.base_url;
        if log_format == crate::observe::logging::LogFormat::Json {
            // One JSON line too, so that a log collector reads every line.
            println!(
                "{}",
                serde_json::json!({
                    "level": "WARN",
                    "message": "first start: created the admin account; sign in with this one-time password and choose your own (shown only once)",
                    "username": args.admin_username,
                    "one_time_password": otp,
                    "sign_in_at": base_url,
                })
            );
        } else {
            println!(
                "\n  First start: created the admin account.\n    username: {}\n    one-time password: {otp}\n  Sign in at {base_url} and choose your own password. This password is shown only once.\n",
                args.admin_username
            );
        }
        if let Some(path) = password_file {
            match first_admin::write_password_file(path, &args.admin_username, &otp, base_url) {
                Ok(()) => println!(
                    "  The one-time password is also in {} (mode 0600).\n",
                    path.display()
                ),
                Err(e) => {
                    tracing::warn!(file = %path.display(), "cannot write the first admin's one-time password file: {e}")
                }
            }
        }
    }
    let (acceptor, local) = App::bind(args.addr)
        .await
        .map_err(|source| CliError::Listen {
            addr: args.addr,
            source,
        })?;
    crate::app::log_panics_safely();
    crate::recovery::watch(app.state.db.clone());
    let scheme = if app.state.config.serves_https() {
        "https"
    } else {
        "http"
    };
    tracing::info!(addr = %local, data = %args.data.display(), "Guichet is listening on {scheme}://{local}");
    if let Some(plain) = app.state.config.http_redirect_addr {
        tracing::info!(addr = %plain, "plain HTTP on {plain} redirects to {}", app.state.config.base_url);
    }
    app.serve(acceptor, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
}

/// Who ran the command on the machine, as far as the environment says.
fn os_user() -> String {
    std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(32)
        .collect::<String>()
}

/// Opens a data file with its key file (`explicit`, else the default place).
pub fn open_data(
    data: &std::path::Path,
    key_file: Option<&std::path::Path>,
    cache_bytes: usize,
) -> Result<Db, CliError> {
    let keys = crate::keys::resolve(data, key_file);
    Db::open_keyed(data, &keys, cache_bytes).map_err(|source| CliError::Open {
        path: data.to_path_buf(),
        source,
    })
}

fn admin(
    data: &std::path::Path,
    key_file: Option<&std::path::Path>,
    action: AdminAction,
) -> Result<(), CliError> {
    let db = open_data(data, key_file, crate::db::CACHE_BYTES)?;
    let now = SystemClock.now();
    let os_user = os_user();
    let actor = Actor::new(now.unix_timestamp(), format!("cli ({os_user})"), "local");
    let entry =
        |action: &str, target: &str| AuditEntry::by(&actor, action, format!("user {target}"), None);
    match action {
        AdminAction::CreateAdmin { username } => {
            let name = crate::domain::user::parse_username(&username)
                .map_err(|e| CliError::Usage(e.en))?;
            let otp = crate::auth::login::one_time_password();
            let user = crate::auth::bootstrap::new_user(
                &name,
                &otp,
                crate::domain::user::Role::Admin,
                now,
            )?;
            let wtx = db.begin_write()?;
            users::insert(&wtx, user)?;
            crate::db::audit::append(&wtx, db.audit_key(), &entry("user.create", &name))?;
            wtx.commit()?;
            println!("created admin {name}; one-time password: {otp}");
        }
        AdminAction::ResetPassword { username } => {
            let user = db
                .user_by_username(&username)?
                .ok_or(CliError::NoUser(username))?;
            let otp =
                issue_one_time_password(&db, user.id, now, entry("user.reset", &user.username))?;
            println!("{}: new one-time password: {otp}", user.username);
        }
        AdminAction::Unlock { username } => {
            let name = username.trim().to_lowercase();
            let wtx = db.begin_write()?;
            users::put_attempts(&wtx, &name, Default::default())?;
            crate::db::audit::append(&wtx, db.audit_key(), &entry("user.unlock", &name))?;
            wtx.commit()?;
            println!("{name}: unlocked");
        }
        AdminAction::ResetSecondFactor { username } => {
            let user = db
                .user_by_username(&username)?
                .ok_or(CliError::NoUser(username))?;
            let e = entry("user.second_factor_reset", &user.username);
            crate::auth::second_factor::admin_reset(&db, user.id, &e)?;
            println!("{}: second factor removed", user.username);
        }
        AdminAction::ApiCredentials { merchant_id } => {
            api_credentials::issue(&db, merchant_id, &actor)?;
        }
        AdminAction::RotateCardKey => {
            rotate_card_key(&db, now)?;
            // Tokens under the old key may linger in free pages: rewrite the file.
            drop(db);
            let rows = crate::db::rewrite_data_file(data)?;
            println!(
                "data file rewritten with its {rows} live records; the old bytes were cleared"
            );
        }
    }
    Ok(())
}

/// `admin rotate-card-key`: a new card key, every token re-keyed, the old key gone.
fn rotate_card_key(db: &Db, now: time::OffsetDateTime) -> Result<(), CliError> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} rows ({per_sec})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let old = db.keys().active;
    let (new, n) = db.rotate_card_key(now.unix_timestamp(), &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish();
    let wtx = db.begin_write()?;
    crate::db::audit::append(
        &wtx,
        db.audit_key(),
        &AuditEntry::by(
            &Actor::new(now.unix_timestamp(), "cli", ""),
            "card_key.rotate",
            format!("card key {old} → {new}"),
            None,
        )
        .with_detail(format!("tokens={n} removed_key={old}")),
    )?;
    wtx.commit()?;
    println!(
        "card key {new} is active; {n} stored tokens re-keyed; key {old} removed from {}",
        db.key_file().display()
    );
    Ok(())
}

/// Prints every table's rows and bytes, the file's size and the bytes per
/// transaction row.
fn print_sizes(db: &crate::db::Db, data: &std::path::Path) -> Result<(), CliError> {
    let sizes = db.table_sizes()?;
    let file = std::fs::metadata(data).map(|m| m.len()).unwrap_or(0);
    let txs = sizes
        .iter()
        .find(|t| t.name == "transactions")
        .map_or(0, |t| t.rows);
    let per_tx = |b: u64| {
        if txs == 0 {
            "-".to_string()
        } else {
            format!("{:.1}", b as f64 / txs as f64)
        }
    };
    println!(
        "{:<28} {:>10} {:>14} {:>12} {:>12} {:>10}",
        "table", "rows", "bytes", "stored", "fragmented", "bytes/tx"
    );
    let mut in_tables = 0;
    for t in sizes.iter().filter(|t| t.rows > 0 || t.bytes() > 0) {
        in_tables += t.bytes();
        println!(
            "{:<28} {:>10} {:>14} {:>12} {:>12} {:>10}",
            t.name,
            t.rows,
            t.bytes(),
            t.stored_bytes,
            t.fragmented_bytes,
            per_tx(t.bytes())
        );
    }
    println!(
        "tables: {in_tables} bytes ({} per transaction row); file: {file} bytes ({} per transaction row, {txs} rows)",
        per_tx(in_tables),
        per_tx(file)
    );
    Ok(())
}

fn check(
    data: &std::path::Path,
    key_file: Option<&std::path::Path>,
    sizes_only: bool,
) -> Result<(), CliError> {
    let db = open_data(data, key_file, crate::db::CACHE_BYTES)?;
    print_sizes(&db, data)?;
    if sizes_only {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let report = db.check()?;
    println!(
        "checked {} transactions in {:.1} s",
        report.transactions,
        started.elapsed().as_secs_f64()
    );
    for (op, n) in &report.per_operation {
        println!("  {op:<14} {n}");
    }
    println!(
        "audit log: {} entries, head {}",
        report.audit.entries, report.audit.head
    );
    if report.is_ok() {
        println!(
            "OK: every refund ≤ its sale, every capture/cancel on an authorization, indexes and rollups match the rows, the audit chain is whole"
        );
        Ok(())
    } else {
        for p in &report.problems {
            println!("PROBLEM: {p}");
        }
        Err(CliError::Problems(report.problems.len()))
    }
}

fn demo(args: DemoArgs) -> Result<(), CliError> {
    let db = open_data(&args.data, args.key_file.as_deref(), 2 << 30)?;
    let opts = crate::demo::DemoOptions {
        transactions: args.transactions,
        seed: args.seed,
        now: SystemClock.now(),
    };
    let bar = indicatif::ProgressBar::new(args.transactions);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} rows ({per_sec})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let summary = crate::demo::generate(&db, &opts, &mut |n| bar.set_position(n))?;
    bar.finish();
    println!(
        "wrote {} merchants and {} transactions to {} in {:.1} s",
        summary.merchants,
        summary.transactions,
        args.data.display(),
        started.elapsed().as_secs_f64()
    );
    // A bulk load leaves free pages behind: give them back.
    drop(db);
    let (before, after) = crate::db::sizes::compact_data_file(&args.data)?;
    println!("compacted: {before} → {after} bytes");
    println!(
        "\nDemo logins (password for all: {}):",
        summary.logins.first().map_or("", |l| l.password.as_str())
    );
    for l in &summary.logins {
        println!(
            "  {:<28} {:<18} {}",
            l.username,
            l.role,
            l.merchant.as_deref().unwrap_or("")
        );
    }
    println!("\nServe it: guichet serve --data {}", args.data.display());
    Ok(())
}
