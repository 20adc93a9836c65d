//! Amounts of money as the clinic's messages and lists write them.

/// Cents as dollars: `12550` → `$125.50`, `-5` → `$-0.05`.
pub fn dollars(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents.rem_euclid(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_read_as_dollars() {
        assert_eq!(dollars(12_550), "$125.50");
        assert_eq!(dollars(5), "$0.05");
        assert_eq!(dollars(0), "$0.00");
    }
}
