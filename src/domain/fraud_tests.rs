//! Unit tests of `fraud`: window edges with a fake clock, accepted and refused
//! counted apart, names folded.

use super::Lang;
use super::fraud::*;
use super::text::fold;

/// Payment events for one key: (time, accepted).
struct Events(Vec<(KeyKind, String, i64, bool)>);

impl Events {
    fn count(&self, kind: KeyKind, key: &str, since: i64, now: i64) -> Counts {
        let mut c = Counts::default();
        for (k, v, at, ok) in &self.0 {
            if *k == kind && v == key && *at >= since && *at <= now {
                if *ok {
                    c.accepted += 1;
                } else {
                    c.refused += 1;
                }
            }
        }
        c
    }

    fn eval(&self, rules: &MerchantRules, keys: &[(KeyKind, &str)], now: i64) -> Option<Fired> {
        let r: Result<_, ()> = evaluate(rules, now, |kind, since| {
            Ok(keys
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, v)| self.count(kind, v, since, now))
                .unwrap_or_default())
        });
        r.ok().flatten()
    }
}

const T: i64 = 1_700_000_000;

fn only(kind: KeyKind, l: VelocityLimit) -> MerchantRules {
    let none = VelocityLimit {
        max_accepted: None,
        max_refused: None,
        window: Window::new(1, Unit::Hours),
    };
    let mut r = MerchantRules {
        holder: none,
        card: none,
        email: none,
        ip: none,
        international_requires_3ds: true,
    };
    *r.limit_mut(kind) = l;
    r
}

#[test]
fn the_limit_is_reached_at_t_and_freed_at_t_plus_the_window() {
    let rules = only(
        KeyKind::Card,
        VelocityLimit {
            max_accepted: None,
            max_refused: Some(3),
            window: Window::new(24, Unit::Hours),
        },
    );
    let ev = Events(
        [T - 100, T - 50, T]
            .iter()
            .map(|&at| (KeyKind::Card, "tok".to_string(), at, false))
            .collect(),
    );
    let keys = [(KeyKind::Card, "tok")];
    assert_eq!(
        ev.eval(&rules, &keys, T - 1),
        None,
        "2 refusals: a 3rd may try"
    );
    let fired = ev
        .eval(&rules, &keys, T)
        .expect("3 refusals: the 4th is refused");
    assert_eq!((fired.count, fired.limit, fired.refused), (3, 3, true));
    assert_eq!(
        fired.text(Lang::En),
        "3 refused payments for this card in 24 h, limit 3"
    );
    assert_eq!(
        fired.text(Lang::Fr),
        "3 paiements refusés pour cette carte en 24 h, limite 3"
    );
    let day = 86_400;
    assert!(ev.eval(&rules, &keys, T - 100 + day - 1).is_some());
    assert_eq!(
        ev.eval(&rules, &keys, T - 100 + day),
        None,
        "the first refusal left the window at t + 24 h"
    );
}

#[test]
fn accepted_and_refused_payments_are_counted_apart() {
    let rules = only(
        KeyKind::Email,
        VelocityLimit {
            max_accepted: Some(2),
            max_refused: Some(5),
            window: Window::new(1, Unit::Days),
        },
    );
    let mut ev = Events(vec![
        (KeyKind::Email, "a".into(), T - 10, false),
        (KeyKind::Email, "a".into(), T - 9, false),
        (KeyKind::Email, "a".into(), T - 8, true),
    ]);
    let keys = [(KeyKind::Email, "a")];
    assert_eq!(ev.eval(&rules, &keys, T), None);
    ev.0.push((KeyKind::Email, "a".into(), T - 1, true));
    let fired = ev
        .eval(&rules, &keys, T)
        .expect("2 accepted reach the limit");
    assert!(!fired.refused);
    assert_eq!(
        fired.text(Lang::En),
        "2 accepted payments for this email in 1 day, limit 2"
    );
    assert_eq!(
        ev.eval(&rules, &[(KeyKind::Email, "b")], T),
        None,
        "another key"
    );
}

#[test]
fn names_match_whatever_their_case_and_accents() {
    let rules = only(
        KeyKind::Holder,
        VelocityLimit {
            max_accepted: Some(1),
            max_refused: None,
            window: Window::new(30, Unit::Minutes),
        },
    );
    let ev = Events(vec![(KeyKind::Holder, fold("Hélène  Noël"), T, true)]);
    let key = fold("HELENE NOEL");
    assert!(ev.eval(&rules, &[(KeyKind::Holder, &key)], T).is_some());
}

#[test]
fn a_missing_key_and_a_kind_without_limits_count_nothing() {
    let rules = MerchantRules::default();
    let ev = Events(
        (0..20)
            .map(|i| (KeyKind::Holder, "x".to_string(), T - i, false))
            .collect(),
    );
    assert_eq!(ev.eval(&rules, &[(KeyKind::Holder, "x")], T), None);
    assert_eq!(ev.eval(&rules, &[], T), None);
}

#[test]
fn a_subject_folds_names_and_lowercases_emails() {
    let a = Subject {
        holder: "Hélène  Noël".into(),
        email: " Salma@Example.MA".into(),
        ..Subject::default()
    };
    let b = Subject {
        holder: "HELENE NOEL".into(),
        email: "salma@example.ma".into(),
        ..Subject::default()
    };
    assert_eq!(a.keys(), b.keys());
    assert_eq!(a.keys().len(), 2, "no card, no IP: not counted");
}

#[test]
fn a_backtest_refuses_what_the_rules_would_have_and_stops_counting_it() {
    let rules = only(
        KeyKind::Card,
        VelocityLimit {
            max_accepted: None,
            max_refused: Some(2),
            window: Window::new(1, Unit::Hours),
        },
    );
    let p = |id: u64, at: i64, accepted: bool, card: &str| PastPayment {
        at,
        id,
        accepted,
        keys: vec![(KeyKind::Card, u32::from(card.as_bytes()[0]))],
    };
    let past = [
        p(1, T - 7200, false, "a"),
        p(2, T - 10, false, "a"),
        p(3, T - 5, false, "a"),
        p(4, T, false, "a"),
        p(5, T + 1, true, "a"),
        p(6, T + 2, false, "b"),
        p(7, T + 3600 - 9, true, "a"),
    ];
    // Before `from`: history only. 4 and 5 meet 2 refusals within the hour; 7 comes
    // after the first two left the window (4 and 5, refused, never counted).
    assert_eq!(backtest(&rules, &past, T - 5, &[]), vec![4, 5]);
    assert_eq!(backtest(&rules, &past, T - 3600 * 3, &[]), vec![4, 5]);
    assert_eq!(
        backtest(&rules, &past, T + 2, &[]),
        vec![7],
        "before `from`, 4 is history: with 3 it makes two refusals within 7's hour"
    );
    // 3 refused by another rule first (a country list): not counted, not returned;
    // 4 then meets one refusal only and passes, 5 meets 2 and 4.
    assert_eq!(backtest(&rules, &past, T - 5, &[3]), vec![5]);
}
