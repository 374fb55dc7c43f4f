//! What part of the network a user may see. Every query over members,
//! groups and districts filters by it in SQL.
use crate::domain::user::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Direction: the whole network.
    Network,
    /// A district manager: one district.
    District(i64),
    /// A representative: their own members (and may read their groups).
    Representative { user_id: i64, district_id: i64 },
    /// Billing: no member lists (billing has its own queue).
    Nothing,
}

impl Scope {
    pub fn of(role: Role, user_id: i64, district_id: Option<i64>) -> Scope {
        match (role, district_id) {
            (Role::Direction, _) => Scope::Network,
            (Role::DistrictManager, Some(d)) => Scope::District(d),
            (Role::Representative, Some(d)) => Scope::Representative {
                user_id,
                district_id: d,
            },
            _ => Scope::Nothing,
        }
    }

    /// The district this scope is limited to, if any.
    pub fn district(self) -> Option<i64> {
        match self {
            Scope::District(d) | Scope::Representative { district_id: d, .. } => Some(d),
            Scope::Network | Scope::Nothing => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_follows_role_and_district() {
        assert_eq!(Scope::of(Role::Direction, 1, None), Scope::Network);
        assert_eq!(
            Scope::of(Role::DistrictManager, 1, Some(4)),
            Scope::District(4)
        );
        assert_eq!(
            Scope::of(Role::Representative, 7, Some(4)),
            Scope::Representative {
                user_id: 7,
                district_id: 4
            }
        );
        assert_eq!(Scope::of(Role::Billing, 1, None), Scope::Nothing);
        assert_eq!(Scope::of(Role::DistrictManager, 1, None), Scope::Nothing);
    }
}
