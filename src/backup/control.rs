//! The control socket: how `guichet backup` reaches a running server, since redb's
//! lock keeps any other process from opening the data file. A Unix domain socket
//! beside the data file (`guichet.redb.ctl` for `guichet.redb`), made by the server at
//! start (a leftover of a server that died is replaced: the data file's lock proves
//! no other server runs on it) and removed at stop, mode 0600 in the data file's 0700
//! directory; a peer of another user (root aside) is refused anyway. One JSON line
//! in, one JSON line out:
//!
//! ```text
//! {"command":"ping"}                                   → {"ok":true,"data":"/var/lib/guichet/guichet.redb"}
//! {"command":"backup","to":"/abs/file","encrypt_to":[],"passphrase":null,"by":"ops"}
//!                                                      → {"ok":true,"report":{…}} or {"ok":false,"error":"…"}
//! ```

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use super::{BackupError, Backups, Encryption, Passphrase};
use crate::domain::actor::Actor;
use crate::domain::backup::BackupReport;

/// The socket of the data file `data`: its path with `.ctl` appended.
pub fn socket_path(data: &Path) -> PathBuf {
    let mut name = data.as_os_str().to_os_string();
    name.push(".ctl");
    PathBuf::from(name)
}

/// A request on the control socket.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Request {
    /// Is a server there, and for which data file?
    Ping,
    /// A backup at `to` (an absolute path), encrypted for `encrypt_to` or with
    /// `passphrase` if given; `by` names who asked in the audit log.
    Backup {
        to: PathBuf,
        #[serde(default)]
        encrypt_to: Vec<String>,
        #[serde(default)]
        passphrase: Option<String>,
        #[serde(default)]
        by: String,
    },
}

/// The answer to a request.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Answer {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<BackupReport>,
}

impl Answer {
    fn failed(error: impl std::fmt::Display) -> Answer {
        Answer {
            ok: false,
            error: Some(error.to_string()),
            ..Answer::default()
        }
    }
}

/// A request is one line of at most this many bytes.
const MAX_REQUEST: u64 = 64 * 1024;

/// Serves the control socket of the data file `data` until `stop`, then removes it.
/// A socket that cannot be made is logged; the server runs on without it.
pub async fn serve(
    data: PathBuf,
    backups: Arc<Backups>,
    stop: impl std::future::Future<Output = ()>,
) {
    let path = socket_path(&data);
    let _ = std::fs::remove_file(&path);
    let listener = match tokio::net::UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(socket = %path.display(), "no control socket (guichet backup cannot reach this server): {e}");
            return;
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(socket = %path.display(), "control socket left as made: {e}");
        }
    }
    let owner = std::fs::metadata(&path)
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .ok();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let (backups, data) = (backups.clone(), data.clone());
                    tokio::spawn(async move { handle(stream, owner, backups, data).await });
                }
                Err(e) => {
                    tracing::warn!("control socket: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = &mut stop => break,
        }
    }
    drop(listener);
    let _ = std::fs::remove_file(&path);
}

async fn handle(
    stream: tokio::net::UnixStream,
    owner: Option<u32>,
    backups: Arc<Backups>,
    data: PathBuf,
) {
    let peer = stream.peer_cred().ok().map(|c| c.uid());
    let (read, mut write) = stream.into_split();
    let answer = if peer.is_none() || (peer != owner && peer != Some(0)) {
        Answer::failed("refused: the control socket answers its server's user only")
    } else {
        let mut line = String::new();
        let mut reader = tokio::io::BufReader::new(read.take(MAX_REQUEST));
        match reader.read_line(&mut line).await {
            Err(e) => Answer::failed(format!("cannot read the request: {e}")),
            Ok(_) => match serde_json::from_str::<Request>(&line) {
                Err(e) => Answer::failed(format!("not a request: {e}")),
                Ok(req) => dispatch(req, backups, data).await,
            },
        }
    };
    if let Ok(mut json) = serde_json::to_vec(&answer) {
        json.push(b'\n');
        let _ = write.write_all(&json).await;
    }
}

async fn dispatch(req: Request, backups: Arc<Backups>, data: PathBuf) -> Answer {
    match req {
        Request::Ping => Answer {
            ok: true,
            data: Some(data),
            ..Answer::default()
        },
        Request::Backup {
            to,
            encrypt_to,
            passphrase,
            by,
        } => {
            if !to.is_absolute() {
                return Answer::failed(format!("{} is not an absolute path", to.display()));
            }
            let encryption = match passphrase {
                Some(_) if !encrypt_to.is_empty() => {
                    return Answer::failed("recipients or a passphrase, not both");
                }
                Some(p) => match Passphrase::new(&p) {
                    Ok(p) => Encryption::Passphrase(p),
                    Err(e) => return Answer::failed(e),
                },
                None => match Encryption::from_flags(&encrypt_to, None) {
                    Ok(e) => e,
                    Err(e) => return Answer::failed(e),
                },
            };
            let who: String = by
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .take(32)
                .collect();
            let now = backups.clock.now().unix_timestamp();
            let actor = Actor::new(now, format!("cli ({who})"), "local");
            let job = tokio::task::spawn_blocking(move || backups.run_to(&to, &encryption, &actor));
            match job.await {
                Ok(Ok(report)) => Answer {
                    ok: true,
                    report: Some(report),
                    ..Answer::default()
                },
                Ok(Err(e)) => Answer::failed(e),
                Err(e) => Answer::failed(e),
            }
        }
    }
}

/// Sends `req` to the server of the data file `data`; `Ok(None)` when no server
/// listens there. `timeout` bounds the wait for the answer (None: a backup takes
/// what it takes).
pub fn ask(
    data: &Path,
    req: &Request,
    timeout: Option<Duration>,
) -> Result<Option<Answer>, BackupError> {
    let path = socket_path(data);
    let mut stream = match std::os::unix::net::UnixStream::connect(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(BackupError::Control(format!(
                "{}: {e} (run as the server's user)",
                path.display()
            )));
        }
        Err(_) => return Ok(None),
    };
    let failed = |e: std::io::Error| BackupError::Control(format!("{}: {e}", path.display()));
    stream.set_read_timeout(timeout).map_err(failed)?;
    let mut json = serde_json::to_vec(req).map_err(|e| BackupError::Control(e.to_string()))?;
    json.push(b'\n');
    stream.write_all(&json).map_err(failed)?;
    let mut line = String::new();
    std::io::BufReader::new(stream)
        .read_line(&mut line)
        .map_err(failed)?;
    serde_json::from_str(&line)
        .map(Some)
        .map_err(|e| BackupError::Control(format!("unreadable answer ({e}): {line:?}")))
}

/// Whether a server answers on the control socket of `data`.
pub fn answers(data: &Path) -> bool {
    matches!(
        ask(data, &Request::Ping, Some(Duration::from_secs(5))),
        Ok(Some(Answer { ok: true, .. }))
    )
}
