//! The reference a customer quotes about a payment: the merchant's order number and a
//! short code derived from the request. Never the gateway-wide transaction counter,
//! which would tell every customer how many payments all merchants took.

use sha2::{Digest, Sha256};

use super::payment::PaymentRequest;

/// Eight upper-case hex digits, grouped by four ("7F3A-9C21"), derived from what never
/// changes on a request (merchant, request id, creation time), so a new link keeps it.
pub fn short_reference(merchant_id: u64, request_id: u64, created_at: i64) -> String {
    let digest = Sha256::new()
        .chain_update(b"guichet-customer-ref\0")
        .chain_update(merchant_id.to_be_bytes())
        .chain_update(request_id.to_be_bytes())
        .chain_update(created_at.to_be_bytes())
        .finalize();
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02X}")).collect();
    format!("{}-{}", &hex[..4], &hex[4..])
}

/// What the receipt shows as the customer's reference: "CMD-1001 · 7F3A-9C21".
pub fn customer_reference(req: &PaymentRequest) -> String {
    with_order(
        &req.order_id,
        short_reference(req.merchant_id, req.id, req.created_at),
    )
}

fn with_order(order_id: &str, short: String) -> String {
    if order_id.is_empty() {
        short
    } else {
        format!("{order_id} · {short}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_reference_is_stable_and_depends_on_the_request() {
        let a = short_reference(1, 2, 3);
        assert_eq!(a, short_reference(1, 2, 3));
        assert_eq!(a.len(), 9);
        assert_eq!(a.as_bytes()[4], b'-');
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_ne!(a, short_reference(1, 3, 3));
        assert_ne!(a, short_reference(2, 2, 3));
    }

    #[test]
    fn the_customer_reference_leads_with_the_order_number() {
        let r = with_order("CMD-1001", short_reference(7, 100_002, 0));
        assert!(r.starts_with("CMD-1001 · "), "{r}");
        assert!(!r.contains("100002"), "{r}");
        assert_eq!(with_order("", "ABCD-0123".into()), "ABCD-0123");
    }
}
