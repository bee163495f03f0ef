//! `guichet admin api-credentials MERCHANT_ID`: a new API credential for a merchant
//! from the shell (provisioning scripts), printed once like the page shows it.

use super::CliError;
use crate::db::Db;
use crate::db::Scope;
use crate::domain::actor::Actor;

/// Makes the credential (audited `api_credential.create` by the command line) and
/// prints `originator: …` and `password: …`, one per line.
pub(super) fn issue(db: &Db, merchant_id: u64, actor: &Actor) -> Result<(), CliError> {
    let m = db
        .merchant(Scope::Admin, merchant_id)?
        .ok_or_else(|| CliError::Usage(format!("no merchant {merchant_id}")))?;
    let issued = db
        .api_credential_create(m.id, actor)?
        .ok_or_else(|| CliError::Usage(format!("no merchant {merchant_id}")))?;
    eprintln!(
        "new API credential for merchant {} ({}); the password is shown only now:",
        m.id, m.name
    );
    println!("originator: {}", issued.credential.originator);
    println!("password: {}", issued.password);
    Ok(())
}
