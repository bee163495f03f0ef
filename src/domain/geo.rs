//! Where an IP address is registered: its country from the Regional Internet
//! Registries' delegation statistics compiled into the binary (`iptocc`, no file, no
//! network; updated by taking a newer release of the crate). A registry country is
//! where the block was assigned, not a street address: a VPN or a mobile roaming
//! address shows its provider's country.

use std::net::IpAddr;

/// The ISO 3166-1 alpha-2 code of the country `ip` is registered in; `None` for an
/// address that is not one, private, reserved or unassigned.
pub fn ip_country(ip: &str) -> Option<&'static str> {
    let addr: IpAddr = ip.trim().parse().ok()?;
    iptocc::country_code(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_address_has_its_registry_country_and_others_have_none() {
        assert_eq!(ip_country("8.8.8.8"), Some("US"));
        assert_eq!(ip_country(" 196.200.130.10 "), Some("MA"));
        assert_eq!(ip_country("2001:4860:4860::8888"), Some("US"));
        for none in [
            "10.0.0.1",
            "127.0.0.1",
            "192.168.1.1",
            "::1",
            "",
            "not an ip",
            "999.1.1.1",
        ] {
            assert_eq!(ip_country(none), None, "{none}");
        }
    }
}
