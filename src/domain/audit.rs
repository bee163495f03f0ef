//! An audit line: who did what to which account, merchant or data, when, from where,
//! and with what outcome.

use serde::{Deserialize, Serialize};

use super::Lang;
use super::transaction::{Operation, Status};
use super::user::Permissions;

/// What an audit line says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub ip: String,
    /// A stable key such as `user.create`, `sign_in.failure`, `export`.
    pub action: String,
    /// What it was done to, e.g. `user omar.b`.
    pub target: String,
    /// The merchant concerned, if any (for scoping).
    pub merchant_id: Option<u64>,
    /// `ok`, or why it was refused (`refused`, `locked`, …). Empty reads as `ok`.
    pub outcome: String,
    /// Before → after, filters and row counts: what a reviewer needs.
    pub detail: String,
}

// What an entry holds are codes, shown in words in the reader's language:
// - `action`: a stable key (`user.create`, `auth.failure`, `export`, …);
// - `outcome`: `ok` (or empty), `refused`, `locked`;
// - `target`: `<kind> <name>` (`user omar.b`, `merchant Atlas`), or one of the fixed
//   objects `audit log`, `transactions`, `security`, `card key 1 → 2`;
// - `detail`: `key=value` pairs separated by spaces (`format=csv scope=all rows=3
//   filters=…`, the last `filters` taking the rest), or a role change (`role: admin`,
//   `role: merchant 3 [view] → merchant 3 [view,export]`, `role unchanged: …`).
// Entries written before these rules (free text in English) are shown as written.

impl AuditEntry {
    /// The action in words; an unknown key is shown as it is.
    pub fn action_text(&self, lang: Lang) -> String {
        action_words(&self.action)
            .map(|(fr, en)| lang.pick(fr, en).to_string())
            .unwrap_or_else(|| self.action.clone())
    }

    /// Who did it: a user's name, or the appliance itself (`system`, `cli`, which act
    /// from no address) in words; `cli (omar)` is the command line run by the machine's
    /// user `omar` (`unknown` when the environment did not say).
    pub fn actor_text(&self, lang: Lang) -> String {
        let command_line = lang.pick("ligne de commande", "command line");
        // A user name never holds a space nor a parenthesis: this is the command line.
        let os_user = self
            .actor
            .strip_prefix("cli (")
            .and_then(|rest| rest.strip_suffix(')'));
        if let Some(os_user) = os_user {
            return match os_user {
                "" | "unknown" => format!(
                    "{command_line} ({})",
                    lang.pick("utilisateur inconnu", "unknown user")
                ),
                name => format!("{command_line} ({name})"),
            };
        }
        match (self.actor.as_str(), self.ip.is_empty()) {
            ("system", true) => lang.pick("système", "system").into(),
            ("cli", true) => command_line.into(),
            (name, _) => name.into(),
        }
    }

    /// `succès` / `success`, `refus` / `refused`, `blocage` / `locked` (nouns in
    /// French: the badge agrees with any action).
    pub fn outcome_text(&self, lang: Lang) -> String {
        match self.outcome.as_str() {
            "" | "ok" => lang.pick("succès", "success").into(),
            "refused" => lang.pick("refus", "refused").into(),
            "locked" => lang.pick("blocage", "locked").into(),
            "failed" => lang.pick("échec", "failed").into(),
            other => other.into(),
        }
    }

    /// Whether the outcome is a success.
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome.as_str(), "" | "ok")
    }

    /// What the action was done to, in words: `utilisateur omar.b` / `user omar.b`.
    pub fn target_text(&self, lang: Lang) -> String {
        let t = self.target.as_str();
        let fixed = match t {
            "audit log" => Some(("journal d'audit", "audit log")),
            "transactions" => Some(("transactions", "transactions")),
            "security" => Some(("réglages de sécurité", "security settings")),
            _ => None,
        };
        if let Some((fr, en)) = fixed {
            return lang.pick(fr, en).into();
        }
        if let Some(id) = t
            .strip_prefix("email template ")
            .and_then(super::email_template::TemplateId::parse)
        {
            let (fr, en) = id.kind.name();
            let language = match id.lang {
                Lang::Fr => lang.pick("français", "French"),
                Lang::En => lang.pick("anglais", "English"),
            };
            return format!(
                "{}{} ({language})",
                lang.pick("modèle d'email ", "email template "),
                lang.pick(fr, en)
            );
        }
        let kinds = [
            ("user ", "utilisateur ", "user "),
            ("merchant ", "marchand ", "merchant "),
            ("card key ", "clé des cartes ", "card key "),
            ("api credential ", "identifiant API ", "API credential "),
            ("ticket ", "ticket n° ", "ticket no. "),
            ("backup ", "sauvegarde ", "backup "),
        ];
        for (code, fr, en) in kinds {
            if let Some(name) = t.strip_prefix(code) {
                return format!("{}{name}", lang.pick(fr, en));
            }
        }
        t.into()
    }

    /// The detail in words (before → after, filters, counts).
    pub fn detail_text(&self, lang: Lang) -> String {
        detail_words(&self.detail, lang).unwrap_or_else(|| self.detail.clone())
    }
}

/// The words of an action key.
fn action_words(action: &str) -> Option<(&'static str, &'static str)> {
    Some(match action {
        "user.create" => ("Création d'un utilisateur", "User created"),
        "user.update" => ("Modification d'un utilisateur", "User changed"),
        "user.unlock" => ("Compte débloqué", "Account unlocked"),
        "user.reactivate" => ("Compte réactivé", "Account reactivated"),
        "user.reset" => ("Mot de passe réinitialisé", "Password reset"),
        "user.second_factor_reset" => (
            "Double authentification réinitialisée",
            "Two-factor authentication reset",
        ),
        "user.enable" => ("Compte activé", "Account enabled"),
        "user.disable" => ("Compte désactivé", "Account disabled"),
        "auth.sign_in" => ("Connexion", "Sign-in"),
        "auth.sign_out" => ("Déconnexion", "Sign-out"),
        "auth.failure" => ("Échec de connexion", "Failed sign-in"),
        "auth.lockout" => (
            "Accès bloqué après trop d'échecs",
            "Access locked after too many failures",
        ),
        "auth.refused_disabled" => (
            "Connexion refusée : compte désactivé",
            "Sign-in refused: account disabled",
        ),
        "auth.refused_expired" => (
            "Connexion refusée : compte expiré",
            "Sign-in refused: account expired",
        ),
        "auth.code_refused_locked" => ("Code refusé : accès bloqué", "Code refused: access locked"),
        "auth.code_refused_account" => (
            "Code refusé : compte désactivé ou expiré",
            "Code refused: account disabled or expired",
        ),
        "auth.recovery_code" => (
            "Connexion avec un code de secours",
            "Sign-in with a recovery code",
        ),
        "second_factor.enrol" => (
            "Double authentification activée",
            "Two-factor authentication turned on",
        ),
        "second_factor.disable" => (
            "Double authentification désactivée",
            "Two-factor authentication turned off",
        ),
        "password.change" => ("Mot de passe changé", "Password changed"),
        "password.welcome" => (
            "Premier mot de passe choisi par le lien de bienvenue",
            "First password chosen through the welcome link",
        ),
        "auth.sign_out_others" => (
            "Déconnexion de toutes les autres sessions",
            "Signed out of every other session",
        ),
        "user.email" => ("Adresse email modifiée", "Email address changed"),
        "user.welcome_link" => (
            "Lien de connexion envoyé par email",
            "Sign-in link sent by email",
        ),
        "password.change_forced" => (
            "Mot de passe changé (obligatoire)",
            "Password changed (required)",
        ),
        "audit.view" => ("Consultation du journal d'audit", "Audit log viewed"),
        "export" => ("Exportation des transactions", "Transactions exported"),
        "merchant.create" => ("Création d'un marchand", "Merchant created"),
        "merchant.update" => ("Modification d'un marchand", "Merchant changed"),
        "merchant.fraud_rules" => (
            "Restrictions anti-fraude modifiées",
            "Fraud restrictions changed",
        ),
        "merchant.callback_secret" => (
            "Nouveau secret de signature des notifications",
            "New callback signing secret",
        ),
        "merchant.settings" => ("Réglages du marchand modifiés", "Merchant settings changed"),
        "merchant.email_branding" => (
            "Expéditeur et pied de page des emails du marchand modifiés",
            "Merchant's email sender and footer changed",
        ),
        "email_template.save" => ("Modèle d'email modifié", "Email template changed"),
        "email_template.reset" => (
            "Modèle d'email remis par défaut",
            "Email template reset to default",
        ),
        "merchant.rebill_policy" => (
            "Limites de refacturation modifiées",
            "Rebill limits changed",
        ),
        "settings.security" => ("Réglages de sécurité modifiés", "Security settings changed"),
        "support.contacts" => ("Contacts du support modifiés", "Support contacts changed"),
        "card_key.rotate" => ("Rotation de la clé des cartes", "Card key rotated"),
        "backup.run" => ("Sauvegarde du fichier de données", "Data file backed up"),
        "backup.restore" => ("Restauration d'une sauvegarde", "Backup restored"),
        "chargeback.record" => ("Impayé (chargeback) enregistré", "Chargeback recorded"),
        "api_credential.create" => ("Création d'un identifiant API", "API credential created"),
        "api_credential.revoke" => ("Révocation d'un identifiant API", "API credential revoked"),
        "ticket.open" => ("Ticket de support ouvert", "Support ticket opened"),
        "ticket.message" => (
            "Message sur un ticket de support",
            "Message on a support ticket",
        ),
        "ticket.state" => (
            "État d'un ticket de support modifié",
            "Support ticket state changed",
        ),
        "api.auth_failed" => (
            "Appel de l'API refusé : identifiants",
            "API call refused: credentials",
        ),
        _ => return None,
    })
}

/// A role as stored in details (`admin`, `merchant 3 [view,export]`) in words.
fn role_words(role: &str, lang: Lang) -> String {
    if role == "admin" {
        return lang.pick("administrateur", "administrator").into();
    }
    let Some(rest) = role.strip_prefix("merchant ") else {
        return role.into();
    };
    let Some((id, keys)) = rest.split_once(" [") else {
        return role.into();
    };
    let keys = keys.trim_end_matches(']');
    let p = Permissions::from_keys(keys.split(','));
    let rights: Vec<&str> = p
        .entries()
        .iter()
        .filter(|e| e.3)
        .map(|e| lang.pick(e.1, e.2))
        .collect();
    let rights = if rights.is_empty() {
        lang.pick("aucun droit", "no permission").to_string()
    } else {
        rights.join(", ")
    };
    format!("{} {id} ({rights})", lang.pick("marchand", "merchant"))
}

/// A detail in words, or `None` when it follows none of the rules (older text).
fn detail_words(detail: &str, lang: Lang) -> Option<String> {
    if detail.is_empty() {
        return Some(String::new());
    }
    if let Some(same) = detail.strip_prefix("role unchanged: ") {
        let label = lang.pick("rôle inchangé : ", "role unchanged: ");
        return Some(format!("{label}{}", role_words(same, lang)));
    }
    if let Some(change) = detail.strip_prefix("role: ") {
        let label = lang.pick("rôle : ", "role: ");
        let words = match change.split_once(" → ") {
            Some((a, b)) => format!("{} → {}", role_words(a, lang), role_words(b, lang)),
            None => role_words(change, lang),
        };
        return Some(format!("{label}{words}"));
    }
    let mut parts = Vec::new();
    let mut rest = detail;
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        if key.contains(' ') {
            return None;
        }
        let (value, next) = if key == "filters" {
            (after, "")
        } else {
            after.split_once(' ').unwrap_or((after, ""))
        };
        if let Some(w) = pair_words(key, value, lang) {
            parts.push(w);
        }
        rest = next;
    }
    Some(parts.join(", "))
}

/// One `key=value` of a detail in words (`None`: nothing to say, an empty filter).
fn pair_words(key: &str, value: &str, lang: Lang) -> Option<String> {
    let n = || value.parse::<u64>().ok();
    Some(match (key, value) {
        ("format", v) => format!("format {v}"),
        ("scope", "all") => lang.pick("toutes les lignes", "all rows").into(),
        ("scope", "page") => lang.pick("page affichée", "current page").into(),
        ("rows", _) if n().is_some() => lang.count(n()?, ("ligne", "lignes"), ("row", "rows")),
        ("filters", "") => return None,
        ("filters", v) => format!(
            "{}{}",
            lang.pick("filtres : ", "filters: "),
            filter_words(v, lang)
        ),
        ("ceiling", "original") => lang
            .pick("plafond : montant d'origine", "ceiling: original amount")
            .into(),
        ("ceiling", v) => format!(
            "{}{}",
            lang.pick("plafond : ", "ceiling: "),
            if lang == Lang::Fr {
                v.replace('.', ",")
            } else {
                v.to_string()
            }
        ),
        ("per_day", _) if n().is_some() => format!(
            "{} {}",
            lang.count(
                n()?,
                ("refacturation", "refacturations"),
                ("rebill", "rebills")
            ),
            lang.pick("par carte et par jour", "per card per day")
        ),
        (k @ ("card" | "email" | "ip" | "holder" | "international_3ds"), v) => {
            super::fraud::summary_words(k, v, lang)?
        }
        (k @ ("card_country" | "ip_country"), v) => super::location::summary_words(k, v, lang)?,
        ("first", "1") => lang
            .pick("premier secret du marchand", "the merchant's first secret")
            .into(),
        ("password_max_age_days", _) if n().is_some() => format!(
            "{}{}",
            lang.pick("âge maximal des mots de passe : ", "password maximum age: "),
            lang.count(n()?, ("jour", "jours"), ("day", "days"))
        ),
        ("second_factor_merchants", v) => format!(
            "{}{}",
            lang.pick(
                "double authentification exigée pour les marchands : ",
                "two-factor authentication required for merchants: "
            ),
            if v == "none" {
                lang.pick("aucun", "none").to_string()
            } else {
                v.replace(',', ", ")
            }
        ),
        ("tokens", _) if n().is_some() => lang.count(
            n()?,
            ("jeton re-chiffré", "jetons re-chiffrés"),
            ("stored token re-keyed", "stored tokens re-keyed"),
        ),
        ("removed_key", v) => match lang {
            Lang::Fr => format!("clé {v} retirée du fichier de clés"),
            Lang::En => format!("key {v} removed from the key file"),
        },
        ("bytes", _) if n().is_some() => super::backup::size_text(n()?, lang),
        ("check", "ok") => lang.pick("vérifiée", "verified").into(),
        ("check", "problems") => lang.pick("contrôles en échec", "checks failed").into(),
        ("tx", _) if n().is_some() => match lang {
            Lang::Fr => format!("écrit comme transaction {value}"),
            Lang::En => format!("written as transaction {value}"),
        },
        ("reason", v) => match crate::domain::chargeback::ChargebackReason::parse(v) {
            Some(r) => format!("{}{}", lang.pick("motif : ", "reason: "), r.label(lang)),
            None => format!("reason={v}"),
        },
        ("failure", v) => match super::api_credentials::Failure::parse(v) {
            Some(f) => lang.pick(f.words().0, f.words().1).into(),
            None => format!("failure={v}"),
        },
        ("unwritten", _) if n().is_some() => format!(
            "{} {}",
            lang.count(
                n()?,
                ("autre échec", "autres échecs"),
                ("other failure", "other failures")
            ),
            lang.plural(
                n()?,
                (
                    "depuis cette adresse dans la minute précédente, non inscrit",
                    "depuis cette adresse dans la minute précédente, non inscrits"
                ),
                (
                    "from this address in the minute before, not written",
                    "from this address in the minute before, not written"
                )
            )
        ),
        ("state", v) => {
            let words = |k: &str| {
                super::support::TicketState::parse(k)
                    .map_or(k.to_string(), |s| s.label(lang).to_string())
            };
            let change = match v.split_once('→') {
                Some((a, b)) => format!("{} → {}", words(a), words(b)),
                None => words(v),
            };
            format!("{}{change}", lang.pick("état : ", "state: "))
        }
        ("category", v) => format!(
            "{}{}",
            lang.pick("catégorie : ", "category: "),
            super::support::Category::parse(v).map_or(v, |c| c.label(lang))
        ),
        ("transaction", _) if n().is_some() => {
            format!("{}{value}", lang.pick("transaction ", "transaction "))
        }
        ("sender_name", "set") => lang
            .pick("nom d'expéditeur défini", "sender name set")
            .into(),
        ("sender_name", "empty") => lang
            .pick("expéditeur : le nom affiché", "sender: the name shown")
            .into(),
        ("footer", "set") => lang.pick("pied de page défini", "footer set").into(),
        ("footer", "empty") => lang.pick("sans pied de page", "no footer").into(),
        ("migrated_from", v) => match lang {
            Lang::Fr => format!("écrite par le schéma {v}, scellée à la migration"),
            Lang::En => format!("written by schema {v}, sealed at migration"),
        },
        (k, v) => format!("{k}={v}"),
    })
}

/// An export's filters (the list's query string, `status=refused&from=2026-05-31`)
/// in words: `statut : Refusée ; du : 2026-05-31`. Unknown fields keep their name.
fn filter_words(query: &str, lang: Lang) -> String {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, raw)| {
            let value = url_decoded(raw);
            let label = filter_label(key).map_or(key, |(fr, en)| lang.pick(fr, en));
            let value = match key {
                "status" => Status::parse(&value).map_or(value, |s| s.label(lang).into()),
                "operation" => Operation::parse(&value).map_or(value, |o| o.label(lang).into()),
                _ if value == "[card number]" => {
                    lang.pick("[numéro de carte]", "[card number]").into()
                }
                _ => value,
            };
            match lang {
                Lang::Fr => format!("{label} : {value}"),
                Lang::En => format!("{label}: {value}"),
            }
        })
        .collect::<Vec<_>>()
        .join(lang.pick(" ; ", "; "))
}

/// The name of a list filter field (see `filter::RawFilter`).
fn filter_label(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "from" => ("du", "from"),
        "to" => ("au", "to"),
        "merchant" => ("marchand", "merchant"),
        "terminal" => ("terminal", "terminal"),
        "account" => ("compte marchand", "merchant account"),
        "operation" => ("opération", "operation"),
        "status" => ("statut", "status"),
        "code" => ("code de retour", "result code"),
        "amount" => ("montant", "amount"),
        "amount_min" => ("montant min.", "min. amount"),
        "amount_max" => ("montant max.", "max. amount"),
        "brand" => ("type de carte", "card type"),
        "bin" => ("6 premiers chiffres", "first 6 digits"),
        "last4" => ("4 derniers chiffres", "last 4 digits"),
        "holder" => ("porteur", "holder"),
        "email" => ("email de l'acheteur", "buyer email"),
        "buyer" => ("nom de l'acheteur", "buyer name"),
        "order" => ("commande", "order"),
        "ref" => ("transaction de référence", "reference transaction"),
        _ => return None,
    })
}

/// A query-string value decoded (`+` and `%XX`); bytes that are not UTF-8 are
/// replaced.
fn url_decoded(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match (b, hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
            (b'+', _, _) => out.push(b' '),
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, target: &str, detail: &str) -> AuditEntry {
        AuditEntry {
            action: action.into(),
            target: target.into(),
            detail: detail.into(),
            ..AuditEntry::default()
        }
    }

    #[test]
    fn email_template_and_branding_lines_read_in_the_readers_words() {
        let e = entry("email_template.save", "email template payment-link-fr", "");
        assert_eq!(e.action_text(Lang::Fr), "Modèle d'email modifié");
        assert_eq!(
            e.target_text(Lang::Fr),
            "modèle d'email Lien de paiement (français)"
        );
        assert_eq!(
            e.target_text(Lang::En),
            "email template Payment link (French)"
        );
        let b = entry(
            "merchant.email_branding",
            "merchant atlas",
            "sender_name=set footer=empty",
        );
        assert_eq!(
            b.detail_text(Lang::Fr),
            "nom d'expéditeur défini, sans pied de page"
        );
        assert_eq!(b.detail_text(Lang::En), "sender name set, no footer");
    }

    #[test]
    fn codes_are_shown_in_the_readers_words() {
        let e = entry(
            "export",
            "transactions",
            "format=csv scope=all rows=1 filters=status=accepted&from=2026-05-31",
        );
        assert_eq!(e.action_text(Lang::Fr), "Exportation des transactions");
        assert_eq!(e.action_text(Lang::En), "Transactions exported");
        assert_eq!(e.outcome_text(Lang::Fr), "succès");
        assert_eq!(
            e.detail_text(Lang::Fr),
            "format csv, toutes les lignes, 1 ligne, filtres : statut : Acceptée ; du : 2026-05-31"
        );
        assert_eq!(
            e.detail_text(Lang::En),
            "format csv, all rows, 1 row, filters: status: Accepted; from: 2026-05-31"
        );
        let typed = entry(
            "export",
            "transactions",
            "format=xlsx scope=page rows=0 filters=holder=%5Bcard+number%5D&buyer=F%C3%A8s+x&operation=refund&zz=1",
        );
        assert_eq!(
            typed.detail_text(Lang::Fr),
            "format xlsx, page affichée, 0 ligne, filtres : porteur : [numéro de carte] ; nom de l'acheteur : Fès x ; opération : Remboursement ; zz : 1"
        );
        let u = entry(
            "user.update",
            "user omar",
            "role: merchant 3 [view] → merchant 3 [none]",
        );
        assert_eq!(u.target_text(Lang::Fr), "utilisateur omar");
        assert_eq!(
            u.detail_text(Lang::Fr),
            "rôle : marchand 3 (Consulter les transactions) → marchand 3 (aucun droit)"
        );
        assert_eq!(
            u.detail_text(Lang::En),
            "role: merchant 3 (View transactions) → merchant 3 (no permission)"
        );
        let s = entry(
            "settings.security",
            "security",
            "password_max_age_days=90 second_factor_merchants=1,2",
        );
        assert_eq!(
            s.detail_text(Lang::Fr),
            "âge maximal des mots de passe : 90 jours, double authentification exigée pour les marchands : 1, 2"
        );
        assert_eq!(s.target_text(Lang::En), "security settings");
    }

    #[test]
    fn older_free_text_and_unknown_codes_are_shown_as_written() {
        let old = entry(
            "some.future_action",
            "password max age 90 days; second factor required for merchants [1]",
            "(written by schema 1, sealed at migration)",
        );
        assert_eq!(old.action_text(Lang::Fr), "some.future_action");
        assert_eq!(old.target_text(Lang::Fr), old.target);
        assert_eq!(old.detail_text(Lang::Fr), old.detail);
        let refused = AuditEntry {
            outcome: "locked".into(),
            ..entry("auth.lockout", "user omar", "")
        };
        assert_eq!(refused.outcome_text(Lang::En), "locked");
        assert!(!refused.succeeded());
        assert_eq!(refused.detail_text(Lang::En), "");
        let system = AuditEntry {
            actor: "system".into(),
            ..entry("user.create", "user admin", "role: admin")
        };
        assert_eq!(system.actor_text(Lang::Fr), "système");
        assert_eq!(system.detail_text(Lang::Fr), "rôle : administrateur");
    }

    #[test]
    fn the_command_line_is_named_in_the_readers_language_with_who_ran_it() {
        let by = |actor: &str, ip: &str| AuditEntry {
            actor: actor.into(),
            ip: ip.into(),
            ..entry("user.create", "user admin", "role: admin")
        };
        let unknown = by("cli (unknown)", "local");
        assert_eq!(
            unknown.actor_text(Lang::Fr),
            "ligne de commande (utilisateur inconnu)"
        );
        assert_eq!(unknown.actor_text(Lang::En), "command line (unknown user)");
        let ops = by("cli (ops)", "local");
        assert_eq!(ops.actor_text(Lang::Fr), "ligne de commande (ops)");
        assert_eq!(ops.actor_text(Lang::En), "command line (ops)");
        assert_eq!(by("cli", "").actor_text(Lang::Fr), "ligne de commande");
        assert_eq!(by("omar.b", "10.0.0.1").actor_text(Lang::Fr), "omar.b");
    }

    #[test]
    fn ticket_lines_name_the_ticket_its_category_and_its_state_change() {
        let e = entry("ticket.state", "ticket 12", "state=open→waiting");
        assert_eq!(e.action_text(Lang::En), "Support ticket state changed");
        assert_eq!(e.target_text(Lang::Fr), "ticket n° 12");
        assert_eq!(
            e.detail_text(Lang::Fr),
            "état : Ouvert → En attente du marchand"
        );
        let o = entry("ticket.open", "ticket 12", "category=refund transaction=42");
        assert_eq!(o.detail_text(Lang::En), "category: Refund, transaction 42");
        assert_eq!(
            entry("ticket.message", "ticket 1", "").detail_text(Lang::Fr),
            ""
        );
    }
}
