//! Word pools and small random helpers for the demo rows.

use super::*;

pub(super) const DELIVERY: &[&str] = &[
    "Commande restaurant",
    "Courses supermarché",
    "Livraison pharmacie",
    "Glovo Express",
];
pub(super) const CLASSIFIEDS: &[&str] = &[
    "Pack À la une 7 jours",
    "Remontée d'annonce",
    "Pack Boutique Pro 1 mois",
    "Annonce Premium",
];
pub(super) const SHOP: &[&str] = &[
    "Commande en ligne",
    "Électroménager",
    "Smartphone",
    "Vêtements",
    "Courses en ligne",
    "Livres et papeterie",
];
pub(super) const TRANSFER: &[&str] = &[
    "Transfert d'argent",
    "Paiement de facture",
    "Recharge de compte",
];
pub(super) const HOTEL: &[&str] = &[
    "Chambre double — 2 nuits",
    "Suite — 3 nuits",
    "Riad entier — week-end",
    "Demi-pension — 4 nuits",
];
pub(super) const TRAVEL: &[&str] = &[
    "Billet Casablanca – Paris",
    "Billet Marrakech – Londres",
    "Billet Casablanca – Dakhla",
    "Bagage supplémentaire",
    "Surclassement Business",
];
pub(super) const CAMPAIGNS: &[&str] = &[
    "Ramadan Kareem",
    "Black Friday",
    "Soldes d'été",
    "Rentrée scolaire",
];

pub(super) fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or(s)
}

/// An amount typical of the business, in minor units (integers only).
pub(super) fn amount(r: &mut SmallRng, kind: Kind) -> Amount {
    let minor: i64 = match kind {
        Kind::Ride => bucket(
            r,
            &[(1_000, 4_000, 50), (4_000, 9_000, 35), (9_000, 30_001, 15)],
        ),
        Kind::Delivery => bucket(r, &[(25, 80, 45), (80, 180, 40), (180, 301, 15)]) * 100,
        Kind::Classifieds => *pick(r, &[4_900, 9_900, 16_900, 16_900, 29_900, 59_900]),
        Kind::Shop => {
            let dirhams = bucket(r, &[(50, 200, 40), (200, 800, 35), (800, 3_000, 25)]);
            dirhams * 100 + *pick(r, &[0, 0, 0, 90, 50])
        }
        Kind::Transfer => bucket(r, &[(100, 1_000, 50), (1_000, 3_001, 50)]) * 100,
        Kind::Hotel => {
            bucket(
                r,
                &[(800, 2_000, 40), (2_000, 5_000, 40), (5_000, 9_001, 20)],
            ) * 100
        }
        Kind::Travel => bucket(r, &[(600, 2_500, 55), (2_500, 8_001, 45)]) * 100,
    };
    Amount::from_minor(minor).unwrap_or_default()
}

/// A value from one of weighted half-open ranges `(low, high, weight)`.
pub(super) fn bucket(r: &mut SmallRng, buckets: &[(i64, i64, u32)]) -> i64 {
    let (low, high) = weighted(r, buckets, |b| b.2).map_or((0, 1), |b| (b.0, b.1));
    r.random_range(low..high)
}

pub(super) fn weighted<'a, T>(
    r: &mut SmallRng,
    items: &'a [T],
    weight: impl Fn(&T) -> u32,
) -> Option<&'a T> {
    let total: u32 = items.iter().map(&weight).sum();
    let mut x = r.random_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if x < w {
            return Some(item);
        }
        x -= w;
    }
    items.first()
}

/// One element of a non-empty constant list.
pub(super) fn pick<'a, T>(r: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[r.random_range(0..items.len())]
}

/// Random letters and digits (`RzTA183n`), or uppercase only (`QXKZ4T`, a PNR).
pub(super) fn alnum(r: &mut SmallRng, len: usize, mixed_case: bool) -> String {
    const MIXED: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let set = if mixed_case { MIXED } else { UPPER };
    (0..len).map(|_| char::from(*pick(r, set))).collect()
}
