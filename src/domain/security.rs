//! The settings of Parameters › Security.

/// The settings of Parameters › Security.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecuritySettings {
    pub password_max_age_days: u32,
    /// Merchants whose users must enrol a second factor.
    pub second_factor_merchants: Vec<u64>,
}
