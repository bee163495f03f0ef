//! Every table of the data file, declared once. Names read KEY_TO_VALUE.

use redb::{TableDefinition, WriteTransaction};

use super::Result;

/// Named settings and counters: schema version, secrets, id sequences.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

pub const USER_ID_TO_USER: TableDefinition<u64, &[u8]> = TableDefinition::new("users");
pub const USERNAME_TO_USER_ID: TableDefinition<&str, u64> = TableDefinition::new("usernames");
/// User id → the IANA name of the zone they chose (`User::time_zone`); no row: the
/// appliance's zone. Beside the user record rather than in it, so that the record's
/// layout (the file format) did not change.
pub const USER_ID_TO_TIME_ZONE: TableDefinition<u64, &str> =
    TableDefinition::new("user_time_zones");
/// Failed sign-ins per username, known or not: (failures, locked until, unix s; 0 = no lock).
pub const USERNAME_TO_ATTEMPTS: TableDefinition<&str, (u32, i64)> =
    TableDefinition::new("login_attempts");
/// Username → unix seconds of its last counted failure: counters idle for a day are
/// forgotten, so names sprayed once do not stay in the file.
pub const USERNAME_TO_LAST_FAILURE: TableDefinition<&str, i64> =
    TableDefinition::new("login_last_failure");
/// SHA-256 of the session cookie (hex) → session record.
pub const SESSION_HASH_TO_SESSION: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");

pub const MERCHANT_ID_TO_MERCHANT: TableDefinition<u64, &[u8]> = TableDefinition::new("merchants");

/// Transaction ids grow with time, so id order is time order.
pub const TX_ID_TO_TX: TableDefinition<u64, &[u8]> = TableDefinition::new("transactions");
/// id → the 35-byte filter row of the column store (34 bytes in older files, see `columns`).
pub const TX_ID_TO_COLS: TableDefinition<u64, &[u8]> = TableDefinition::new("tx_cols");
/// Schema 4's (unix seconds, id) period index: written for every row, read by
/// nothing but the check (16 bytes a row at 1M rows). Dropped on open since schema 5;
/// periods are found by id, ids growing with time (see `transactions::first_at`).
pub const TIME_ID: TableDefinition<(i64, u64), ()> = TableDefinition::new("idx_time");
/// (merchant, id): a merchant's transactions, newest last.
pub const MERCHANT_ID_TX_ID: TableDefinition<(u64, u64), ()> = TableDefinition::new("idx_merchant");
/// (parent id, child id): associated transactions.
pub const PARENT_ID_CHILD_ID: TableDefinition<(u64, u64), ()> = TableDefinition::new("idx_parent");
/// (field, folded value, id) for the rare text filters: order id, email, holder, buyer name, card last 4, BIN.
pub const FIELD_VALUE_TX_ID: TableDefinition<(u8, &str, u64), ()> =
    TableDefinition::new("idx_field");
/// Schema 3's UTC day counters, replaced by `ROLLUP` (which serves any zone):
/// dropped on open (see `create_all`).
const OLD_DAY_ROLLUP: TableDefinition<(u64, i32, u8, u16), (u64, i64)> =
    TableDefinition::new("rollup_day");
/// (merchant or 0 for all, dimension, value, operation, result code, currency,
/// quarter-hour bucket) → running (count, sum of amounts in minor units) up to the
/// end of that bucket (see `rollups`).
pub const ROLLUP: TableDefinition<super::rollups::RollupKey, (u64, i64)> =
    TableDefinition::new("rollup_quarter");

/// (transaction, sequence) → note, history line, journal step.
pub const TX_NOTES: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("tx_notes");
pub const TX_HISTORY: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("tx_history");
pub const TX_JOURNAL: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("tx_journal");

/// Payment requests (virtual terminal) and the SHA-256 of their link token.
pub const REQUEST_ID_TO_REQUEST: TableDefinition<u64, &[u8]> =
    TableDefinition::new("payment_requests");
pub const LINK_HASH_TO_REQUEST_ID: TableDefinition<&str, u64> = TableDefinition::new("link_hashes");
/// (merchant, request id): a merchant's requests, newest last.
pub const MERCHANT_ID_REQUEST_ID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("idx_merchant_requests");

/// One-time key of a confirmed operation form → the transaction it wrote (a second
/// submit of the same confirmation writes nothing).
pub const OP_KEY_TO_TX_ID: TableDefinition<&str, u64> = TableDefinition::new("operation_keys");

/// Emails waiting, sent or failed, and the (next attempt time, id) of those waiting.
pub const MAIL_ID_TO_MAIL: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
pub const MAIL_DUE_AT_ID: TableDefinition<(i64, u64), ()> = TableDefinition::new("outbox_due");

/// Merchants whose users must sign in with a second factor (set by an admin).
pub const SECOND_FACTOR_MERCHANT_IDS: TableDefinition<u64, ()> =
    TableDefinition::new("second_factor_merchants");
/// A merchant's rebill limits (M6: `RebillPolicy`), set by an admin; none = defaults.
pub const MERCHANT_ID_TO_REBILL_POLICY: TableDefinition<u64, &[u8]> =
    TableDefinition::new("rebill_policies");
/// (merchant, stored card token, UTC day) → rebills sent that day (M6), written with
/// each rebill.
pub const TOKEN_DAY_TO_REBILLS: TableDefinition<(u64, &str, i32), u32> =
    TableDefinition::new("rebills_per_day");

/// A merchant's fraud restrictions (FRAUD-1, FRAUD-3: `fraud::MerchantRules`), set
/// by an admin; none = the defaults.
pub const MERCHANT_ID_TO_FRAUD_RULES: TableDefinition<u64, &[u8]> =
    TableDefinition::new("fraud_rules");
/// A merchant's buyer location rules (FRAUD-2: `location::LocationRules`), set by an
/// admin with its fraud restrictions; none = no restriction.
pub const MERCHANT_ID_TO_LOCATION_RULES: TableDefinition<u64, &[u8]> =
    TableDefinition::new("location_rules");
/// (merchant, key kind, keyed hash of the value or card token, unix seconds, tx id)
/// → 1 accepted / 0 refused: the payment attempts velocity limits count (see
/// `velocity`), written with the payment's rows.
pub const VELOCITY_EVENTS: TableDefinition<(u64, u8, &str, i64, u64), u8> =
    TableDefinition::new("velocity_events");
/// (unix seconds, tx id, merchant, key kind, keyed hash): the same events by time,
/// so the oldest are pruned a few at a time.
pub const VELOCITY_BY_TIME: TableDefinition<(i64, u64, u64, u8, &str), ()> =
    TableDefinition::new("velocity_by_time");

/// Callbacks to the shops (issue 13, `domain::callback::Callback`) by id, and the
/// (next attempt time, id) of those pending.
pub const CALLBACK_ID_TO_CALLBACK: TableDefinition<u64, &[u8]> = TableDefinition::new("callbacks");
pub const CALLBACK_DUE_AT_ID: TableDefinition<(i64, u64), ()> =
    TableDefinition::new("callbacks_due");
/// (payment request, callback id) and (merchant, callback id): the callbacks of a
/// payment and of a merchant, newest last.
pub const REQUEST_ID_CALLBACK_ID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("idx_request_callbacks");
pub const MERCHANT_ID_CALLBACK_ID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("idx_merchant_callbacks");
/// A merchant's callback signing secret (`callbacks::SigningSecret`).
pub const MERCHANT_ID_TO_CALLBACK_SECRET: TableDefinition<u64, &[u8]> =
    TableDefinition::new("callback_secrets");
/// Payment request id → what the merchant API keeps beside it (`c2p::ApiPayment`).
pub const API_PAYMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("api_payments");
/// SHA-256 (hex) of an API payment's merchant token → its payment request id.
pub const API_TOKEN_TO_REQUEST: TableDefinition<&str, u64> =
    TableDefinition::new("api_token_to_request");
/// (originator, Idempotency-Key) → (unix seconds, SHA-256 of the request, HTTP
/// status, content type, body): the first answer of the merchant API to a key,
/// replayed for 24 h (API-3, see `idempotency`).
pub const IDEMPOTENCY: TableDefinition<(&str, &str), IdempotencyRow> =
    TableDefinition::new("idempotency");
/// The value of `IDEMPOTENCY`.
pub type IdempotencyRow<'a> = (i64, [u8; 32], u16, &'a str, &'a [u8]);
/// (unix seconds, originator, key): the same by time, so expired ones are pruned a few
/// at a time.
pub const IDEMPOTENCY_BY_TIME: TableDefinition<(i64, &str, &str), ()> =
    TableDefinition::new("idempotency_by_time");

/// Operations sent to the acquirer and not yet written (`pending::PendingOp`), by id.
pub const PENDING_OPS: TableDefinition<u64, &[u8]> = TableDefinition::new("pending_ops");
/// Sales and authorizations sent to the acquirer and not yet written
/// (`pending::PendingPayment`), by id.
pub const PENDING_PAYMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("pending_payments");

pub const AUDIT_SEQ_TO_ENTRY: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// Blacklist entries (FRAUD-4) by id.
pub const BLACKLIST: TableDefinition<u64, &[u8]> = TableDefinition::new("blacklist");
/// (kind, key, entry id) of card, email and name entries.
pub const BLACKLIST_KEY_ID: TableDefinition<(u8, &str, u64), ()> =
    TableDefinition::new("idx_blacklist_key");
/// (IPv6?, prefix length, network, entry id) of IP entries.
pub const BLACKLIST_IP_ID: TableDefinition<(u8, u8, u128, u64), ()> =
    TableDefinition::new("idx_blacklist_ip");

/// API credentials (issue 13: `domain::api_credentials::ApiCredential`) by id.
pub const API_CREDENTIAL_ID_TO_CREDENTIAL: TableDefinition<u64, &[u8]> =
    TableDefinition::new("api_credentials");
/// Originator → credential id; originators are never reused, revoked ones included.
pub const API_ORIGINATOR_TO_CREDENTIAL_ID: TableDefinition<&str, u64> =
    TableDefinition::new("api_originators");
/// Credential id → unix seconds of its last accepted call (written at most once a
/// minute, beside the record so the record never changes on use).
pub const API_CREDENTIAL_ID_TO_LAST_USED: TableDefinition<u64, i64> =
    TableDefinition::new("api_last_used");

/// A merchant's settings seen by its customers (`merchant_settings::MerchantSettings`:
/// currencies, display name, logo text, data-protection notice); none = the defaults.
pub const MERCHANT_ID_TO_SETTINGS: TableDefinition<u64, &[u8]> =
    TableDefinition::new("merchant_settings");
/// Welcome links (issue 14): SHA-256 of the secret → `domain::welcome::WelcomeLink`.
pub const WELCOME_HASH_TO_LINK: TableDefinition<&str, &[u8]> =
    TableDefinition::new("welcome_links");
/// The gateway's support contacts (issue 14): one row, key 0 →
/// `domain::support_contacts::SupportContacts`; none = not set.
pub const SUPPORT_CONTACTS: TableDefinition<u8, &[u8]> = TableDefinition::new("support_contacts");

/// Support tickets (issue 14, SUP-1: `domain::support::Ticket`) by id.
pub const TICKET_ID_TO_TICKET: TableDefinition<u64, &[u8]> = TableDefinition::new("tickets");
/// (ticket, sequence) → an entry of its thread (`domain::support::TicketMessage`).
pub const TICKET_MESSAGES: TableDefinition<(u64, u32), &[u8]> =
    TableDefinition::new("ticket_messages");
/// (merchant, ticket id): a merchant's tickets, newest last.
pub const MERCHANT_ID_TICKET_ID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("idx_merchant_tickets");
/// (merchant, transaction, ticket id): the tickets about a transaction.
pub const MERCHANT_TX_TICKET_ID: TableDefinition<(u64, u64, u64), ()> =
    TableDefinition::new("idx_transaction_tickets");
/// (user, ticket id): the tickets with a message that user has not read yet; the
/// Support tab's count is a range count of the user's rows.
pub const USER_ID_UNREAD_TICKET_ID: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("unread_tickets");
/// Email templates an admin rewrote (issue 14, LINK-3): (`TemplateKind` code, `Lang`
/// code) → `email_template::StoredTemplate`; none = the built-in template.
pub const EMAIL_TEMPLATES: TableDefinition<(u8, u8), &[u8]> =
    TableDefinition::new("email_templates");
/// A merchant's sender name and footer in its customers' emails
/// (`email_template::EmailBranding`); none = its name shown, no footer.
pub const MERCHANT_ID_TO_EMAIL_BRANDING: TableDefinition<u64, &[u8]> =
    TableDefinition::new("merchant_email_branding");

/// Opens each table once so read transactions never meet a missing table, and
/// drops the tables of older schemas.
pub(crate) fn create_all(wtx: &WriteTransaction) -> Result<()> {
    wtx.delete_table(OLD_DAY_ROLLUP)?;
    wtx.open_table(USER_ID_TO_USER)?;
    wtx.open_table(USERNAME_TO_USER_ID)?;
    wtx.open_table(USER_ID_TO_TIME_ZONE)?;
    wtx.open_table(USERNAME_TO_ATTEMPTS)?;
    wtx.open_table(USERNAME_TO_LAST_FAILURE)?;
    wtx.open_table(SESSION_HASH_TO_SESSION)?;
    wtx.open_table(MERCHANT_ID_TO_MERCHANT)?;
    wtx.open_table(TX_ID_TO_TX)?;
    wtx.open_table(TX_ID_TO_COLS)?;
    wtx.delete_table(TIME_ID)?;
    wtx.open_table(MERCHANT_ID_TX_ID)?;
    wtx.open_table(PARENT_ID_CHILD_ID)?;
    wtx.open_table(FIELD_VALUE_TX_ID)?;
    wtx.open_table(ROLLUP)?;
    wtx.open_table(AUDIT_SEQ_TO_ENTRY)?;
    wtx.open_table(TX_NOTES)?;
    wtx.open_table(TX_HISTORY)?;
    wtx.open_table(TX_JOURNAL)?;
    wtx.open_table(REQUEST_ID_TO_REQUEST)?;
    wtx.open_table(LINK_HASH_TO_REQUEST_ID)?;
    wtx.open_table(MERCHANT_ID_REQUEST_ID)?;
    wtx.open_table(MAIL_ID_TO_MAIL)?;
    wtx.open_table(OP_KEY_TO_TX_ID)?;
    wtx.open_table(MAIL_DUE_AT_ID)?;
    wtx.open_table(SECOND_FACTOR_MERCHANT_IDS)?;
    wtx.open_table(MERCHANT_ID_TO_REBILL_POLICY)?;
    wtx.open_table(TOKEN_DAY_TO_REBILLS)?;
    wtx.open_table(BLACKLIST)?;
    wtx.open_table(BLACKLIST_KEY_ID)?;
    wtx.open_table(BLACKLIST_IP_ID)?;
    wtx.open_table(MERCHANT_ID_TO_FRAUD_RULES)?;
    wtx.open_table(MERCHANT_ID_TO_LOCATION_RULES)?;
    wtx.open_table(VELOCITY_EVENTS)?;
    wtx.open_table(VELOCITY_BY_TIME)?;
    wtx.open_table(CALLBACK_ID_TO_CALLBACK)?;
    wtx.open_table(CALLBACK_DUE_AT_ID)?;
    wtx.open_table(REQUEST_ID_CALLBACK_ID)?;
    wtx.open_table(MERCHANT_ID_CALLBACK_ID)?;
    wtx.open_table(MERCHANT_ID_TO_CALLBACK_SECRET)?;
    wtx.open_table(API_PAYMENTS)?;
    wtx.open_table(PENDING_OPS)?;
    wtx.open_table(PENDING_PAYMENTS)?;
    wtx.open_table(API_TOKEN_TO_REQUEST)?;
    wtx.open_table(IDEMPOTENCY)?;
    wtx.open_table(IDEMPOTENCY_BY_TIME)?;
    wtx.open_table(API_CREDENTIAL_ID_TO_CREDENTIAL)?;
    wtx.open_table(API_ORIGINATOR_TO_CREDENTIAL_ID)?;
    wtx.open_table(API_CREDENTIAL_ID_TO_LAST_USED)?;
    wtx.open_table(MERCHANT_ID_TO_SETTINGS)?;
    wtx.open_table(WELCOME_HASH_TO_LINK)?;
    wtx.open_table(SUPPORT_CONTACTS)?;
    wtx.open_table(TICKET_ID_TO_TICKET)?;
    wtx.open_table(TICKET_MESSAGES)?;
    wtx.open_table(MERCHANT_ID_TICKET_ID)?;
    wtx.open_table(MERCHANT_TX_TICKET_ID)?;
    wtx.open_table(USER_ID_UNREAD_TICKET_ID)?;
    wtx.open_table(EMAIL_TEMPLATES)?;
    wtx.open_table(MERCHANT_ID_TO_EMAIL_BRANDING)?;
    Ok(())
}
