//! One-time enrollment codes, `LLLL-SSSS-SSSS-SSSS` in Crockford base32: the
//! first group finds the code on the server, the other three (60 bits) are
//! the secret both ends prove they know without sending it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LOOKUP_LEN: usize = 4;
const SECRET_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub lookup: String,
    pub secret: String,
}

impl Code {
    pub fn generate() -> Code {
        let pick = |n: usize| -> String {
            (0..n)
                .map(|_| ALPHABET[rand::random::<u8>() as usize % 32] as char)
                .collect()
        };
        Code {
            lookup: pick(LOOKUP_LEN),
            secret: pick(SECRET_LEN),
        }
    }

    /// Reads a code as a person typed it: any case, with or without dashes
    /// and spaces, O for 0 and I or L for 1.
    pub fn parse(s: &str) -> Result<Code, String> {
        let chars: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        if chars.len() != LOOKUP_LEN + SECRET_LEN || !chars.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(format!(
                "'{s}' is not an enrollment code: it has 16 letters and digits, like K7QP-M2XD-9TRW-4HCF"
            ));
        }
        Ok(Code {
            lookup: chars[..LOOKUP_LEN].to_string(),
            secret: chars[LOOKUP_LEN..].to_string(),
        })
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.secret;
        write!(f, "{}-{}-{}-{}", self.lookup, &s[..4], &s[4..8], &s[8..])
    }
}

/// Which end proves: the desktop (`"client"`) or the server (`"server"`).
pub fn proof(secret: &str, side: &str, fingerprint: &str, device_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("clinicdesk-enroll-v1|{side}|{fingerprint}|{device_id}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Compares proofs in constant time.
pub fn verify(secret: &str, side: &str, fingerprint: &str, device_id: &str, given: &str) -> bool {
    let Ok(given) = hex::decode(given) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("clinicdesk-enroll-v1|{side}|{fingerprint}|{device_id}").as_bytes());
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_however_they_are_typed() {
        let c = Code::generate();
        let shown = c.to_string();
        assert_eq!(shown.len(), 19);
        assert_eq!(Code::parse(&shown).unwrap(), c);
        assert_eq!(
            Code::parse(&shown.to_lowercase().replace('-', " ")).unwrap(),
            c
        );
        assert_eq!(
            Code::parse("k7qp-m2xd-9trw-4hcO").unwrap().secret,
            "M2XD9TRW4HC0"
        );
        assert!(Code::parse("K7QP-M2XD").unwrap_err().contains("16 letters"));
        assert!(Code::parse("K7QP-M2XD-9TRW-4HC!").is_err());
    }

    #[test]
    fn a_proof_binds_the_secret_the_side_the_certificate_and_the_device() {
        let p = proof("SECRET", "client", "ab12", "dev1");
        assert!(verify("SECRET", "client", "ab12", "dev1", &p));
        assert!(!verify("OTHER", "client", "ab12", "dev1", &p));
        assert!(!verify("SECRET", "server", "ab12", "dev1", &p));
        assert!(!verify("SECRET", "client", "cd34", "dev1", &p));
        assert!(!verify("SECRET", "client", "ab12", "dev2", &p));
        assert!(!verify("SECRET", "client", "ab12", "dev1", "not hex"));
    }
}
