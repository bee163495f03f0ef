//! Payment requests from the virtual terminal (LINK-1 … LINK-3): create, send or
//! show the link, resend, cancel.

use super::Gateway;
use super::pay::lock_desk;
use crate::db::{self, Scope, outbox, payments};
use crate::domain::payment::{PaymentRequest, RequestInput, RequestStatus};

/// A request just written, and whether its email was queued.
pub struct Created {
    pub request: PaymentRequest,
    pub emailed: bool,
}

impl Gateway {
    /// Writes a new request for `merchant_id` and, when `send`, queues its email in
    /// the same transaction.
    pub fn create_request(
        &self,
        input: RequestInput,
        merchant_id: u64,
        terminal: u32,
        user: &str,
        send: bool,
    ) -> db::Result<Created> {
        let look = self.db.mail_look(merchant_id)?;
        let now = self.now();
        let req = input.into_request(merchant_id, terminal, user, payments::new_link_token(), now);
        let req = self.db.write(|wtx| {
            let mut req = req.clone();
            // The accepted currencies as they are now, in this write: a form checked
            // against older settings (or crafted by hand) cannot slip another one in.
            if !crate::db::merchant_settings::settings_in(wtx, merchant_id)?.accepts(req.currency) {
                return Err(db::Error::CurrencyNotAccepted(req.currency));
            }
            payments::insert(wtx, &mut req)?;
            if send {
                let mut mail = crate::mail::payment_link(
                    &req,
                    &look,
                    &self.base_url,
                    now.unix_timestamp(),
                    &self.time_zone,
                );
                req.emails.push(outbox::enqueue(wtx, &mut mail)?);
                payments::update(wtx, &req)?;
            }
            Ok(req)
        })?;
        if let Some(id) = req.emails.last() {
            self.mail_queued(*id, &req.holder.email);
        }
        Ok(Created {
            request: req,
            emailed: send,
        })
    }

    /// Emails a NEW link (waiting requests only): the link is not kept, so the
    /// previous one stops working (L8). `None` when not visible.
    pub fn resend_request(
        &self,
        scope: Scope,
        id: u64,
    ) -> db::Result<Option<Result<PaymentRequest, RequestStatus>>> {
        self.relink(scope, id, true)
    }

    /// A new link to show once (waiting requests only); the previous link stops
    /// working. The returned request holds the new secret in `token`.
    pub fn new_request_link(
        &self,
        scope: Scope,
        id: u64,
    ) -> db::Result<Option<Result<PaymentRequest, RequestStatus>>> {
        self.relink(scope, id, false)
    }

    fn relink(
        &self,
        scope: Scope,
        id: u64,
        send: bool,
    ) -> db::Result<Option<Result<PaymentRequest, RequestStatus>>> {
        let Some(req) = self.db.payment_request(scope, id)? else {
            return Ok(None);
        };
        let look = self.db.mail_look(req.merchant_id)?;
        // Like a cancel: no payment on the old link is half-way while it changes.
        let desk = self.desk(req.id);
        let _held = lock_desk(&desk);
        let now = self.now();
        let written = self.db.write(|wtx| {
            let Some(mut req) = payments::get_in(wtx, req.id)? else {
                return Ok(Err(None));
            };
            let status = req.status(now);
            if status != RequestStatus::Waiting {
                return Ok(Err(Some(Err(status))));
            }
            // Link emails still waiting carry the old link: they are not sent any more.
            outbox::withdraw_links(
                wtx,
                &req.emails,
                now.unix_timestamp(),
                "not sent: a newer link replaced this one",
            )?;
            payments::new_link(wtx, &mut req)?;
            let mut queued = None;
            if send {
                let mut mail = crate::mail::payment_link(
                    &req,
                    &look,
                    &self.base_url,
                    now.unix_timestamp(),
                    &self.time_zone,
                );
                req.emails.push(outbox::enqueue(wtx, &mut mail)?);
                payments::update(wtx, &req)?;
                queued = Some(mail.id);
            }
            Ok(Ok((req, queued)))
        })?;
        let (req, queued) = match written {
            Ok(w) => w,
            Err(answer) => return Ok(answer),
        };
        if let Some(mail_id) = queued {
            self.mail_queued(mail_id, &req.holder.email);
        }
        Ok(Some(Ok(req)))
    }

    /// Cancels a waiting request: its link stops working. Takes the request's desk so
    /// that no payment is half-way meanwhile.
    pub fn cancel_request(
        &self,
        scope: Scope,
        id: u64,
        user: &str,
    ) -> db::Result<Option<Result<PaymentRequest, RequestStatus>>> {
        if self.db.payment_request(scope, id)?.is_none() {
            return Ok(None);
        }
        let desk = self.desk(id);
        let _held = lock_desk(&desk);
        let now = self.now();
        self.db.write(|wtx| {
            let Some(mut req) = payments::get_in(wtx, id)? else {
                return Ok(None);
            };
            let status = req.status(now);
            if status != RequestStatus::Waiting && status != RequestStatus::Blocked {
                return Ok(Some(Err(status)));
            }
            req.cancelled = Some((now.unix_timestamp(), user.to_string()));
            payments::update(wtx, &req)?;
            outbox::withdraw_links(
                wtx,
                &req.emails,
                now.unix_timestamp(),
                "not sent: the request was cancelled",
            )?;
            Ok(Some(Ok(req)))
        })
    }
}
