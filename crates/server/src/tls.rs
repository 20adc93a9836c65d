//! The server's TLS identity: the clinic's own certificate, or one made at
//! the first start and kept in the data directory. Desktops pin it by its
//! SHA-256 fingerprint when they enroll.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
    /// SHA-256 of the certificate (DER), lowercase hex.
    pub fingerprint: String,
}

/// Loads `cert` and `key` when given; otherwise `DIR/tls/server.{crt,key}`,
/// made (self-signed, for `names`) when missing.
pub fn identity(
    data: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
    names: &[String],
) -> Result<Identity, String> {
    let (cert_path, key_path) = match (cert, key) {
        (Some(c), Some(k)) => (c.to_path_buf(), k.to_path_buf()),
        (None, None) => {
            let dir = data.join("tls");
            let (c, k) = (dir.join("server.crt"), dir.join("server.key"));
            if !c.exists() {
                generate(&dir, &c, &k, names)?;
            }
            (c, k)
        }
        _ => return Err("give both --tls-cert and --tls-key, or neither".into()),
    };
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let cert_pem = read(&cert_path)?;
    let key_pem = read(&key_path)?;
    let fingerprint = fingerprint_of_pem(&cert_pem)
        .ok_or_else(|| format!("{} holds no PEM certificate", cert_path.display()))?;
    Ok(Identity {
        cert_pem,
        key_pem,
        fingerprint,
    })
}

fn generate(dir: &Path, cert: &Path, key: &Path, names: &[String]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut all = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    all.extend(names.iter().cloned());
    all.dedup();
    let made = rcgen::generate_simple_self_signed(all)
        .map_err(|e| format!("cannot make a certificate: {e}"))?;
    std::fs::write(cert, made.cert.pem())
        .map_err(|e| format!("cannot write {}: {e}", cert.display()))?;
    write_private(key, made.signing_key.serialize_pem().as_bytes())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// SHA-256 of the first certificate in a PEM text, lowercase hex.
pub fn fingerprint_of_pem(pem: &str) -> Option<String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).ok()?;
    Some(fingerprint_of_der(&der))
}

pub fn fingerprint_of_der(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_certificate_is_kept_and_its_fingerprint_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let a = identity(dir.path(), None, None, &["clinic.local".into()]).unwrap();
        let b = identity(dir.path(), None, None, &[]).unwrap();
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_eq!(a.fingerprint.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("tls/server.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the private key is readable by others");
        }
    }

    #[test]
    fn half_a_certificate_pair_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = identity(dir.path(), Some(Path::new("a.crt")), None, &[])
            .err()
            .unwrap();
        assert!(err.contains("both"));
    }
}
