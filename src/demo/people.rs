//! Demo customers: names, addresses, emails, phones and cards by country.

use super::*;

pub(super) struct Customer {
    pub(super) card: StoredCard,
    pub(super) buyer: Party,
    pub(super) ip: String,
}

/// Where customers come from, with what names, addresses and cards.
pub(super) struct Country {
    pub(super) code: &'static str,
    pub(super) weight: u32,
    pub(super) first: &'static [&'static str],
    pub(super) last: &'static [&'static str],
    /// (city, postcode, region)
    pub(super) cities: &'static [(&'static str, &'static str, &'static str)],
    pub(super) streets: &'static [&'static str],
    /// Mobile prefix and how many digits follow it.
    pub(super) phone: (&'static str, u32),
    pub(super) ip_first: &'static [u8],
    pub(super) mail: &'static [&'static str],
    pub(super) bins: &'static [&'static str],
}

pub(super) fn customer(r: &mut SmallRng, year: i32, key: &crate::keys::CardKey) -> Customer {
    let c = weighted(r, &COUNTRIES, |c| c.weight).unwrap_or(&COUNTRIES[0]);
    let first = *pick(r, c.first);
    let last = *pick(r, c.last);
    let name = format!("{first} {last}");
    let &(city, postcode, state) = pick(r, c.cities);
    let card = card(r, c, &name, year, key);
    let (prefix, digits) = c.phone;
    let buyer = Party {
        address: format!("{}, {}", r.random_range(1..180), pick(r, c.streets)),
        postcode: postcode.into(),
        city: city.into(),
        state: state.into(),
        country: c.code.into(),
        phone: format!(
            "{prefix}{:0w$}",
            r.random_range(0..10u64.pow(digits)),
            w = digits as usize
        ),
        email: email(r, first, last, c.mail),
        birth_date: birth_date(r),
        id_number: id_number(r, c.code),
        name,
    };
    let ip = format!(
        "{}.{}.{}.{}",
        pick(r, c.ip_first),
        r.random_range(0..=255),
        r.random_range(0..=255),
        r.random_range(1..255)
    );
    Customer { card, buyer, ip }
}

/// The stored card: BIN, last 4, brand, expiry, holder, and the keyed token of a
/// Luhn-valid 16-digit number drawn here and dropped at once (never stored).
pub(super) fn card(
    r: &mut SmallRng,
    c: &Country,
    holder: &str,
    year: i32,
    key: &crate::keys::CardKey,
) -> StoredCard {
    let bin = *pick(r, c.bins);
    let mut digits = bin.chars().take(6).collect::<String>();
    while digits.len() < 15 {
        digits.push(char::from(b'0' + r.random_range(0..10u8)));
    }
    let number = (b'0'..=b'9')
        .map(|d| format!("{digits}{}", char::from(d)))
        .find(|n| crate::domain::card::luhn_valid(n))
        .unwrap_or_default();
    let pan = crate::domain::card::Pan::parse(&number).ok();
    StoredCard {
        bin: bin.into(),
        last4: number.get(12..).unwrap_or("0000").to_string(),
        pan_len: 16,
        brand: Some(Brand::from_digits(bin)),
        exp_month: r.random_range(1..=12),
        exp_year: u16::try_from(year).unwrap_or(2026) + r.random_range(0..5),
        holder: deunicode::deunicode(holder).to_uppercase(),
        token: pan
            .map(|p| p.storage_token(key.id, &key.key))
            .unwrap_or_default(),
        three_ds: true,
        country: c.code.into(),
    }
}

pub(super) fn email(r: &mut SmallRng, first: &str, last: &str, domains: &[&str]) -> String {
    let f = fold(first).replace(' ', "");
    let l = fold(last).replace(' ', "");
    let d = pick(r, domains);
    match r.random_range(0..4) {
        0 => format!("{f}.{l}@{d}"),
        1 => format!("{f}.{l}{}@{d}", r.random_range(1..100)),
        2 => format!("{}{l}@{d}", f.chars().next().unwrap_or('x')),
        _ => format!("{f}_{l}{}@{d}", r.random_range(1965..2006)),
    }
}

pub(super) fn birth_date(r: &mut SmallRng) -> String {
    if r.random_range(0..100) < 20 {
        let (y, m, d) = (
            r.random_range(1960..2006),
            r.random_range(1..=12),
            r.random_range(1..=28),
        );
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        String::new()
    }
}

/// A Moroccan national ID (CIN) for a quarter of the Moroccan buyers.
pub(super) fn id_number(r: &mut SmallRng, country: &str) -> String {
    if country == "MA" && r.random_range(0..100) < 25 {
        let letters = pick(
            r,
            &["BE", "BK", "AB", "BH", "JA", "CD", "EE", "G", "JB", "X"],
        );
        format!("{letters}{:06}", r.random_range(0..1_000_000))
    } else {
        String::new()
    }
}

pub(super) const COUNTRIES: [Country; 6] = [
    Country {
        code: "MA",
        weight: 90,
        first: &[
            "Omar",
            "Youssef",
            "Mohamed",
            "Mehdi",
            "Amine",
            "Hamza",
            "Karim",
            "Rachid",
            "Saïd",
            "Hicham",
            "Anas",
            "Ayoub",
            "Réda",
            "Brahim",
            "Ilyass",
            "Othmane",
            "Imane",
            "Salma",
            "Fatima Zahra",
            "Khadija",
            "Meryem",
            "Nadia",
            "Houda",
            "Ghita",
            "Loubna",
            "Sanaa",
            "Zineb",
            "Hajar",
            "Soukaïna",
            "Aïcha",
            "Kawtar",
            "Hind",
        ],
        last: &[
            "Benani",
            "Bennani",
            "El Fassi",
            "Alaoui",
            "Tazi",
            "Berrada",
            "Chraïbi",
            "El Amrani",
            "Idrissi",
            "Lahlou",
            "Benjelloun",
            "Ouazzani",
            "Kettani",
            "Sqalli",
            "Bouzid",
            "Naciri",
            "El Khattabi",
            "Aït Benhaddou",
            "Ziani",
            "Moussaoui",
            "Benkirane",
            "Filali",
            "Sebti",
            "Zaoui",
            "El Ouafi",
        ],
        cities: &[
            ("Casablanca", "20000", "Casablanca-Settat"),
            ("Casablanca", "20250", "Casablanca-Settat"),
            ("Casablanca", "20100", "Casablanca-Settat"),
            ("Rabat", "10000", "Rabat-Salé-Kénitra"),
            ("Salé", "11000", "Rabat-Salé-Kénitra"),
            ("Kénitra", "14000", "Rabat-Salé-Kénitra"),
            ("Marrakech", "40000", "Marrakech-Safi"),
            ("Fès", "30000", "Fès-Meknès"),
            ("Meknès", "50000", "Fès-Meknès"),
            ("Tanger", "90000", "Tanger-Tétouan-Al Hoceïma"),
            ("Tétouan", "93000", "Tanger-Tétouan-Al Hoceïma"),
            ("Agadir", "80000", "Souss-Massa"),
            ("Oujda", "60000", "Oriental"),
            ("El Jadida", "24000", "Casablanca-Settat"),
            ("Mohammédia", "28800", "Casablanca-Settat"),
            ("Essaouira", "44000", "Marrakech-Safi"),
        ],
        streets: &[
            "Bd Mohammed V",
            "Avenue Hassan II",
            "Rue Ibn Battouta",
            "Bd Zerktouni",
            "Rue Moulay Youssef",
            "Avenue des FAR",
            "Bd d'Anfa",
            "Rue Tarik Ibn Ziad",
            "Résidence Al Amal",
            "Derb Sidi Bouloukat",
            "Avenue Mohammed VI",
            "Rue Oued Sebou",
        ],
        phone: ("+2126", 8),
        ip_first: &[196, 196, 196, 105, 41],
        mail: &[
            "gmail.com",
            "gmail.com",
            "hotmail.com",
            "yahoo.fr",
            "outlook.com",
            "menara.ma",
        ],
        bins: &[
            "415528", "428247", "437731", "462239", "471423", "489319", "526742", "537010",
            "541306", "552243", "222300",
        ],
    },
    Country {
        code: "FR",
        weight: 5,
        first: &[
            "Julien",
            "Camille",
            "Hélène",
            "Léa",
            "Thomas",
            "François",
            "Chloé",
            "Nicolas",
            "Inès",
            "Sébastien",
        ],
        last: &[
            "Martin", "Durand", "Lefèvre", "Moreau", "Bernard", "Girard", "Rousseau", "Mercier",
            "Dupont", "Benoît",
        ],
        cities: &[
            ("Paris", "75011", "Île-de-France"),
            ("Lyon", "69003", "Auvergne-Rhône-Alpes"),
            ("Marseille", "13008", "Provence-Alpes-Côte d'Azur"),
            ("Toulouse", "31000", "Occitanie"),
            ("Montpellier", "34000", "Occitanie"),
        ],
        streets: &[
            "Rue de la République",
            "Boulevard Voltaire",
            "Avenue Jean Jaurès",
            "Rue Victor Hugo",
        ],
        phone: ("+336", 8),
        ip_first: &[90, 86, 78, 92],
        mail: &["gmail.com", "orange.fr", "free.fr", "laposte.net"],
        bins: &["497010", "497401", "513691", "533317"],
    },
    Country {
        code: "ES",
        weight: 2,
        first: &[
            "Javier", "Lucía", "Sofía", "Álvaro", "Carmen", "Pablo", "Marta",
        ],
        last: &[
            "García",
            "Martínez",
            "López",
            "Sánchez",
            "Fernández",
            "Ruiz",
        ],
        cities: &[
            ("Barcelona", "08008", "Barcelona"),
            ("Madrid", "28013", "Madrid"),
            ("Sevilla", "41001", "Sevilla"),
            ("Málaga", "29001", "Málaga"),
        ],
        streets: &[
            "Passeig de Gràcia",
            "Calle Mayor",
            "Gran Vía",
            "Calle de Alcalá",
        ],
        phone: ("+346", 8),
        ip_first: &[83, 88, 79],
        mail: &["gmail.com", "hotmail.es", "yahoo.es"],
        bins: &["454881", "402277", "540001"],
    },
    Country {
        code: "US",
        weight: 1,
        first: &["John", "Emily", "Michael", "Sarah", "David", "Jessica"],
        last: &["Smith", "Johnson", "Brown", "Miller", "Davis"],
        cities: &[
            ("New York", "10001", "NY"),
            ("Miami", "33101", "FL"),
            ("Chicago", "60601", "IL"),
        ],
        streets: &["Main Street", "Broadway", "Ocean Drive"],
        phone: ("+1212", 7),
        ip_first: &[73, 24, 98],
        mail: &["gmail.com", "yahoo.com", "outlook.com"],
        bins: &["414720", "426684", "546616"],
    },
    Country {
        code: "BE",
        weight: 1,
        first: &["Lucas", "Emma", "Noah", "Louise", "Yassine", "Nora"],
        last: &["Peeters", "Janssens", "Dubois", "Lambert", "El Idrissi"],
        cities: &[
            ("Bruxelles", "1000", "Bruxelles-Capitale"),
            ("Anvers", "2000", "Anvers"),
        ],
        streets: &["Rue Neuve", "Avenue Louise"],
        phone: ("+324", 8),
        ip_first: &[91, 81],
        mail: &["gmail.com", "skynet.be"],
        bins: &["479223", "535498"],
    },
    Country {
        code: "GB",
        weight: 1,
        first: &["Oliver", "Amelia", "Harry", "Olivia", "Jack"],
        last: &["Taylor", "Wilson", "Evans", "Thomas", "Roberts"],
        cities: &[
            ("London", "SW1A 1AA", "England"),
            ("Manchester", "M1 1AE", "England"),
        ],
        streets: &["Baker Street", "Oxford Road"],
        phone: ("+447", 9),
        ip_first: &[86, 82, 151],
        mail: &["gmail.com", "btinternet.com"],
        bins: &["465858", "535522"],
    },
];
