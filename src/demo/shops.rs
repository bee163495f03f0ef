//! The demo merchants: their kinds of business, volumes, terminals and accounts.

/// The kind of business, which drives amounts, order numbers and the payment mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Ride,
    Delivery,
    Classifieds,
    Shop,
    Transfer,
    Hotel,
    Travel,
}

impl Kind {
    /// Businesses whose server captures and cancels through the API, within the hour.
    pub(super) fn automated(self) -> bool {
        matches!(self, Kind::Ride | Kind::Delivery)
    }
}

pub(super) struct Spec {
    pub(super) name: &'static str,
    pub(super) company: &'static str,
    /// Prefix of the demo usernames.
    pub(super) slug: &'static str,
    /// Share of the payments, in percent.
    pub(super) weight: u32,
    pub(super) kind: Kind,
    /// Payments made in authorization mode, in percent.
    pub(super) auth_pct: u32,
    pub(super) terminals: &'static [(u32, &'static str)],
    pub(super) accounts: &'static [&'static str],
    pub(super) descriptor: &'static str,
}

pub(super) const SPECS: [Spec; 12] = [
    Spec {
        name: "Uber",
        company: "Uber Maroc SARL",
        slug: "uber",
        weight: 25,
        kind: Kind::Ride,
        auth_pct: 85,
        terminals: &[(21114, "App iOS"), (21115, "App Android"), (21116, "Web")],
        accounts: &["UBER_MAD"],
        descriptor: "UBER *TRIP MA",
    },
    Spec {
        name: "Glovoapp",
        company: "Glovoapp Maroc SARL",
        slug: "glovo",
        weight: 14,
        kind: Kind::Delivery,
        auth_pct: 80,
        terminals: &[(21203, "App"), (21204, "Web")],
        accounts: &["GLOVO_MAD"],
        descriptor: "GLOVO MA",
    },
    Spec {
        name: "Careem Adyen",
        company: "Careem Networks Maroc",
        slug: "careem",
        weight: 9,
        kind: Kind::Ride,
        auth_pct: 85,
        terminals: &[(21318, "Adyen")],
        accounts: &["CAREEM_ADYEN_MAD"],
        descriptor: "CAREEM RIDE",
    },
    Spec {
        name: "Jumia Maroc",
        company: "Jumia Maroc SARL",
        slug: "jumia",
        weight: 9,
        kind: Kind::Shop,
        auth_pct: 10,
        terminals: &[(21427, "Web"), (21428, "App")],
        accounts: &["JUMIA_DH"],
        descriptor: "JUMIA MAROC",
    },
    Spec {
        name: "Avito",
        company: "Avito Maroc SARL",
        slug: "avito",
        weight: 8,
        kind: Kind::Classifieds,
        auth_pct: 0,
        terminals: &[(21530, "Web")],
        accounts: &["AVITO_DH"],
        descriptor: "AVITO.MA",
    },
    Spec {
        name: "Marjane Online",
        company: "Marjane Holding",
        slug: "marjane",
        weight: 8,
        kind: Kind::Shop,
        auth_pct: 15,
        terminals: &[(21641, "Web"), (21642, "Drive")],
        accounts: &["MARJANE_DH"],
        descriptor: "MARJANE ONLINE",
    },
    Spec {
        name: "Avito Mobile",
        company: "Avito Maroc SARL",
        slug: "avito-mobile",
        weight: 6,
        kind: Kind::Classifieds,
        auth_pct: 0,
        terminals: &[(21531, "App Android"), (21532, "App iOS")],
        accounts: &["AVITO_MOBILE_DH"],
        descriptor: "AVITO MOBILE",
    },
    Spec {
        name: "Cash Plus",
        company: "Cash Plus SA",
        slug: "cashplus",
        weight: 6,
        kind: Kind::Transfer,
        auth_pct: 0,
        terminals: &[(21756, "Web")],
        accounts: &["CASHPLUS_DH"],
        descriptor: "CASH PLUS",
    },
    Spec {
        name: "Royal Air Maroc Boutique",
        company: "Royal Air Maroc",
        slug: "ram",
        weight: 5,
        kind: Kind::Travel,
        auth_pct: 10,
        terminals: &[(21860, "Boutique en ligne")],
        accounts: &["RAM_BOUTIQUE_DH"],
        descriptor: "RAM BOUTIQUE",
    },
    Spec {
        name: "Destrigroupe",
        company: "Destrigroupe SARL",
        slug: "destrigroupe",
        weight: 4,
        kind: Kind::Shop,
        auth_pct: 5,
        terminals: &[(21972, "Web")],
        accounts: &["VPS_TEST_DH", "DESTRIGROUPE_DH"],
        descriptor: "DESTRIGROUPE",
    },
    Spec {
        name: "Hotel et Ryads Barriere Le Naoura",
        company: "Naoura Barrière SA",
        slug: "naoura",
        weight: 4,
        kind: Kind::Hotel,
        auth_pct: 40,
        terminals: &[(22085, "Réception"), (22086, "Réservations web")],
        accounts: &["NAOURA_DH"],
        descriptor: "BARRIERE LE NAOURA",
    },
    Spec {
        name: "Riad Fès Médina",
        company: "Riad Fès Médina SARL",
        slug: "riad-fes",
        weight: 2,
        kind: Kind::Hotel,
        auth_pct: 30,
        terminals: &[(22190, "Réservations")],
        accounts: &["RIADFES_DH"],
        descriptor: "RIAD FES MEDINA",
    },
];

/// A merchant as the generator uses it.
pub(super) struct Shop {
    pub(super) id: u64,
    pub(super) spec: &'static Spec,
    /// Where the merchant's staff and servers call from.
    pub(super) office_ip: String,
    /// Orders numbered so far (for `CMD-2026-001234`).
    pub(super) orders: u64,
}
