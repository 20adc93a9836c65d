use rand::RngCore;
use zeroize::{Zeroize, Zeroizing};

/// 256 random bits. Wiped from memory when dropped; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl StoreKey {
    pub fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(k.as_mut());
        StoreKey(k)
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(StoreKey(Zeroizing::new(arr)))
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        let mut bytes = hex::decode(s.trim()).ok()?;
        let key = Self::from_bytes(&bytes);
        bytes.zeroize();
        key
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    /// The raw-key form SQLCipher takes (`x'…'`), which skips its own
    /// passphrase derivation so that opening stays fast.
    pub fn sqlcipher_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(self.0.as_ref())))
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_never_shown() {
        let a = StoreKey::generate();
        let b = StoreKey::generate();
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "StoreKey(…)");
        assert_eq!(StoreKey::from_hex(&a.to_hex()).unwrap(), a);
        assert!(a.sqlcipher_literal().starts_with("x'"));
        assert!(StoreKey::from_hex("abcd").is_none());
    }
}
