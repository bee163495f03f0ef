//! Who does a write: a signed-in user, the command line or the appliance itself,
//! when and from where. Built once per request (`handlers::Ctx::actor`) and handed to
//! every write, which stamps its audit line, note or History line from it.

use super::transaction::Initiator;

/// The (time, user, IP) triple every audit line, note and History line carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    /// Unix seconds.
    pub at: i64,
    /// The username as stored in audit lines (`system`, `cli (ops)` outside the web).
    pub user: String,
    /// The client's address; empty or `local` outside the web.
    pub ip: String,
}

impl Actor {
    pub fn new(at: i64, user: impl Into<String>, ip: impl Into<String>) -> Actor {
        Actor {
            at,
            user: user.into(),
            ip: ip.into(),
        }
    }

    /// The appliance itself (the first admin made at first start).
    pub fn system(at: i64) -> Actor {
        Actor::new(at, "system", "")
    }

    /// The same person at another moment (an acquirer's answer comes after the request).
    pub fn at(&self, at: i64) -> Actor {
        Actor { at, ..self.clone() }
    }
}

impl Initiator {
    /// This initiator, started by `actor` (user name and IP replaced).
    pub fn by(self, actor: &Actor) -> Initiator {
        Initiator {
            user_name: actor.user.clone(),
            ip: actor.ip.clone(),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_moved_in_time_keeps_who_and_where() {
        let a = Actor::new(10, "omar", "10.0.0.1");
        assert_eq!(a.at(12), Actor::new(12, "omar", "10.0.0.1"));
        assert_eq!(Actor::system(5).user, "system");
    }

    #[test]
    fn an_initiator_by_an_actor_keeps_its_terminal() {
        let i = Initiator {
            terminal: 21114,
            user_name: "before".into(),
            ..Initiator::default()
        }
        .by(&Actor::new(1, "omar", "10.0.0.1"));
        assert_eq!(
            (i.terminal, i.user_name.as_str(), i.ip.as_str()),
            (21114, "omar", "10.0.0.1")
        );
    }
}
