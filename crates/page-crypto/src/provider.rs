//! SQLCipher's provider table (`sqlcipher_provider` in SQLCipher 4's
//! crypto.h) and the functions behind it. SQLCipher calls them for every
//! page it reads or writes, from any thread; none keeps state.

use aes::Aes256;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use rand::RngCore;
use std::ffi::{c_char, c_void, CStr};
use std::os::raw::c_int;

const SQLITE_OK: c_int = 0;
const SQLITE_ERROR: c_int = 1;

// crypto.h: page cipher modes and HMAC / PBKDF2 algorithm numbers.
const CIPHER_DECRYPT: c_int = 0;
const CIPHER_ENCRYPT: c_int = 1;
const HMAC_SHA1: c_int = 0;
const HMAC_SHA256: c_int = 1;
const HMAC_SHA512: c_int = 2;

const KEY_BYTES: c_int = 32;
const BLOCK_BYTES: c_int = 16;

/// The layout of `sqlcipher_provider`, field for field.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct Provider {
    activate: unsafe extern "C" fn(*mut c_void) -> c_int,
    deactivate: unsafe extern "C" fn(*mut c_void) -> c_int,
    get_provider_name: unsafe extern "C" fn(*mut c_void) -> *const c_char,
    add_random: unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int,
    random: unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int,
    hmac: unsafe extern "C" fn(
        *mut c_void,
        c_int,
        *mut u8,
        c_int,
        *mut u8,
        c_int,
        *mut u8,
        c_int,
        *mut u8,
    ) -> c_int,
    kdf: unsafe extern "C" fn(
        *mut c_void,
        c_int,
        *const u8,
        c_int,
        *mut u8,
        c_int,
        c_int,
        c_int,
        *mut u8,
    ) -> c_int,
    cipher: unsafe extern "C" fn(
        *mut c_void,
        c_int,
        *mut u8,
        c_int,
        *mut u8,
        *mut u8,
        c_int,
        *mut u8,
    ) -> c_int,
    get_cipher: unsafe extern "C" fn(*mut c_void) -> *const c_char,
    get_key_sz: unsafe extern "C" fn(*mut c_void) -> c_int,
    get_iv_sz: unsafe extern "C" fn(*mut c_void) -> c_int,
    get_block_sz: unsafe extern "C" fn(*mut c_void) -> c_int,
    get_hmac_sz: unsafe extern "C" fn(*mut c_void, c_int) -> c_int,
    ctx_init: unsafe extern "C" fn(*mut *mut c_void) -> c_int,
    ctx_free: unsafe extern "C" fn(*mut *mut c_void) -> c_int,
    fips_status: unsafe extern "C" fn(*mut c_void) -> c_int,
    get_provider_version: unsafe extern "C" fn(*mut c_void) -> *const c_char,
}

pub(crate) const PROVIDER: Provider = Provider {
    activate: nothing,
    deactivate: nothing,
    get_provider_name,
    add_random,
    random,
    hmac,
    kdf,
    cipher,
    get_cipher,
    get_key_sz,
    get_iv_sz: get_block_sz,
    get_block_sz,
    get_hmac_sz,
    ctx_init,
    ctx_free,
    fips_status: nothing,
    get_provider_version,
};

pub(crate) const NAME: &CStr = c"clinicdesk-rustcrypto";
const VERSION: &CStr = c"aes 0.8, cbc 0.1, hmac 0.12, sha1 0.10, sha2 0.10, pbkdf2 0.12";
// The name OpenSSL's provider reports for the same cipher.
const CIPHER: &CStr = c"AES-256-CBC";

unsafe extern "C" fn nothing(_: *mut c_void) -> c_int {
    SQLITE_OK
}

unsafe extern "C" fn get_provider_name(_: *mut c_void) -> *const c_char {
    NAME.as_ptr()
}

unsafe extern "C" fn get_provider_version(_: *mut c_void) -> *const c_char {
    VERSION.as_ptr()
}

unsafe extern "C" fn get_cipher(_: *mut c_void) -> *const c_char {
    CIPHER.as_ptr()
}

unsafe extern "C" fn get_key_sz(_: *mut c_void) -> c_int {
    KEY_BYTES
}

unsafe extern "C" fn get_block_sz(_: *mut c_void) -> c_int {
    BLOCK_BYTES
}

unsafe extern "C" fn get_hmac_sz(_: *mut c_void, algorithm: c_int) -> c_int {
    match algorithm {
        HMAC_SHA1 => 20,
        HMAC_SHA256 => 32,
        HMAC_SHA512 => 64,
        _ => 0,
    }
}

unsafe extern "C" fn ctx_init(ctx: *mut *mut c_void) -> c_int {
    if !ctx.is_null() {
        *ctx = std::ptr::null_mut();
    }
    SQLITE_OK
}

unsafe extern "C" fn ctx_free(_: *mut *mut c_void) -> c_int {
    SQLITE_OK
}

/// The generator seeds itself from the operating system; nothing to add.
unsafe extern "C" fn add_random(_: *mut c_void, _: *mut c_void, _: c_int) -> c_int {
    SQLITE_OK
}

/// Page IVs and salts, from the thread's cryptographically secure generator
/// (ChaCha12, seeded and regularly reseeded from the operating system), as
/// SQLCipher's OpenSSL provider takes them from OpenSSL's DRBG. Asking the
/// kernel for every page written cost a system call, 0.6 µs of a page's
/// 9 µs of crypto.
unsafe extern "C" fn random(_: *mut c_void, buffer: *mut c_void, length: c_int) -> c_int {
    let Some(out) = slice_mut(buffer.cast(), length) else {
        return SQLITE_ERROR;
    };
    match rand::thread_rng().try_fill_bytes(out) {
        Ok(()) => SQLITE_OK,
        Err(_) => SQLITE_ERROR,
    }
}

/// HMAC of `in` followed by `in2` (the page number), written to `out`.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn hmac(
    _: *mut c_void,
    algorithm: c_int,
    key: *mut u8,
    key_sz: c_int,
    input: *mut u8,
    input_sz: c_int,
    input2: *mut u8,
    input2_sz: c_int,
    out: *mut u8,
) -> c_int {
    let (Some(key), Some(input)) = (slice(key, key_sz), slice(input, input_sz)) else {
        return SQLITE_ERROR;
    };
    let input2 = if input2.is_null() {
        &[][..]
    } else {
        match slice(input2, input2_sz) {
            Some(s) => s,
            None => return SQLITE_ERROR,
        }
    };
    let Some(out) = slice_mut(out, get_hmac_sz(std::ptr::null_mut(), algorithm)) else {
        return SQLITE_ERROR;
    };
    fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: [&[u8]; 2], out: &mut [u8]) -> c_int {
        let Ok(mut m) = <M as Mac>::new_from_slice(key) else {
            return SQLITE_ERROR;
        };
        for p in parts {
            m.update(p);
        }
        out.copy_from_slice(&m.finalize().into_bytes());
        SQLITE_OK
    }
    let parts = [input, input2];
    match algorithm {
        HMAC_SHA1 => mac::<Hmac<sha1::Sha1>>(key, parts, out),
        HMAC_SHA256 => mac::<Hmac<sha2::Sha256>>(key, parts, out),
        HMAC_SHA512 => mac::<Hmac<sha2::Sha512>>(key, parts, out),
        _ => SQLITE_ERROR,
    }
}

/// PBKDF2 with the HMAC `algorithm` names.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn kdf(
    _: *mut c_void,
    algorithm: c_int,
    pass: *const u8,
    pass_sz: c_int,
    salt: *mut u8,
    salt_sz: c_int,
    workfactor: c_int,
    key_sz: c_int,
    key: *mut u8,
) -> c_int {
    let (Some(pass), Some(salt), Some(key)) = (
        slice(pass, pass_sz),
        slice(salt, salt_sz),
        slice_mut(key, key_sz),
    ) else {
        return SQLITE_ERROR;
    };
    let Ok(rounds) = u32::try_from(workfactor) else {
        return SQLITE_ERROR;
    };
    if rounds == 0 {
        return SQLITE_ERROR;
    }
    let done = match algorithm {
        HMAC_SHA1 => pbkdf2::pbkdf2::<Hmac<sha1::Sha1>>(pass, salt, rounds, key),
        HMAC_SHA256 => pbkdf2::pbkdf2::<Hmac<sha2::Sha256>>(pass, salt, rounds, key),
        HMAC_SHA512 => pbkdf2::pbkdf2::<Hmac<sha2::Sha512>>(pass, salt, rounds, key),
        _ => return SQLITE_ERROR,
    };
    match done {
        Ok(()) => SQLITE_OK,
        Err(_) => SQLITE_ERROR,
    }
}

/// AES-256-CBC without padding over `in_sz` bytes (a whole number of blocks).
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn cipher(
    _: *mut c_void,
    mode: c_int,
    key: *mut u8,
    key_sz: c_int,
    iv: *mut u8,
    input: *mut u8,
    input_sz: c_int,
    out: *mut u8,
) -> c_int {
    if key_sz != KEY_BYTES || input_sz < 0 || input_sz % BLOCK_BYTES != 0 {
        return SQLITE_ERROR;
    }
    let (Some(key), Some(iv)) = (slice(key, KEY_BYTES), slice(iv, BLOCK_BYTES)) else {
        return SQLITE_ERROR;
    };
    if input.is_null() || out.is_null() {
        return SQLITE_ERROR;
    }
    // SQLCipher passes separate buffers, but a copy first makes overlap harmless.
    std::ptr::copy(input, out, input_sz as usize);
    let Some(buf) = slice_mut(out, input_sz) else {
        return SQLITE_ERROR;
    };
    let done = match mode {
        CIPHER_ENCRYPT => cbc::Encryptor::<Aes256>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_mut::<NoPadding>(buf, buf.len()).is_ok()),
        CIPHER_DECRYPT => cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
            .map(|c| c.decrypt_padded_mut::<NoPadding>(buf).is_ok()),
        _ => return SQLITE_ERROR,
    };
    match done {
        Ok(true) => SQLITE_OK,
        _ => SQLITE_ERROR,
    }
}

unsafe fn slice<'a>(p: *const u8, len: c_int) -> Option<&'a [u8]> {
    match usize::try_from(len) {
        Ok(0) => Some(&[]),
        Ok(n) if !p.is_null() => Some(std::slice::from_raw_parts(p, n)),
        _ => None,
    }
}

unsafe fn slice_mut<'a>(p: *mut u8, len: c_int) -> Option<&'a mut [u8]> {
    match usize::try_from(len) {
        Ok(0) => Some(&mut []),
        Ok(n) if !p.is_null() => Some(std::slice::from_raw_parts_mut(p, n)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    fn run_hmac(algorithm: c_int, key: &[u8], a: &[u8], b: &[u8]) -> Vec<u8> {
        let (mut key, mut a, mut b) = (key.to_vec(), a.to_vec(), b.to_vec());
        let mut out = vec![0u8; unsafe { get_hmac_sz(std::ptr::null_mut(), algorithm) } as usize];
        let rc = unsafe {
            hmac(
                std::ptr::null_mut(),
                algorithm,
                key.as_mut_ptr(),
                key.len() as c_int,
                a.as_mut_ptr(),
                a.len() as c_int,
                b.as_mut_ptr(),
                b.len() as c_int,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_OK);
        out
    }

    #[test]
    fn hmac_matches_rfc_4231_with_the_message_split_in_two() {
        // RFC 4231, test case 2.
        let (key, msg) = (b"Jefe", b"what do ya want for nothing?");
        let (a, b) = msg.split_at(20);
        assert_eq!(
            run_hmac(HMAC_SHA256, key, a, b),
            unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(
            run_hmac(HMAC_SHA512, key, a, b),
            unhex(
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
            )
        );
        // RFC 2202, test case 2.
        assert_eq!(
            run_hmac(HMAC_SHA1, key, a, b),
            unhex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
    }

    fn run_kdf(algorithm: c_int, pass: &[u8], salt: &[u8], rounds: c_int, len: usize) -> Vec<u8> {
        let mut salt = salt.to_vec();
        let mut out = vec![0u8; len];
        let rc = unsafe {
            kdf(
                std::ptr::null_mut(),
                algorithm,
                pass.as_ptr(),
                pass.len() as c_int,
                salt.as_mut_ptr(),
                salt.len() as c_int,
                rounds,
                len as c_int,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_OK);
        out
    }

    #[test]
    fn pbkdf2_matches_published_vectors() {
        // RFC 6070, test case 2.
        assert_eq!(
            run_kdf(HMAC_SHA1, b"password", b"salt", 2, 20),
            unhex("ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")
        );
        // RFC 7914, section 11 (PBKDF2-HMAC-SHA256).
        assert_eq!(
            run_kdf(HMAC_SHA256, b"passwd", b"salt", 1, 64),
            unhex(
                "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc
                 49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
            )
        );
    }

    #[test]
    fn a_workfactor_of_zero_is_refused() {
        let mut out = [0u8; 32];
        let rc = unsafe {
            kdf(
                std::ptr::null_mut(),
                HMAC_SHA512,
                b"k".as_ptr(),
                1,
                [0u8; 16].as_mut_ptr(),
                16,
                0,
                32,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_ERROR);
    }

    fn run_cipher(mode: c_int, key: &[u8], iv: &[u8], input: &[u8]) -> Result<Vec<u8>, c_int> {
        let (mut key, mut iv, mut input) = (key.to_vec(), iv.to_vec(), input.to_vec());
        let mut out = vec![0u8; input.len()];
        let rc = unsafe {
            cipher(
                std::ptr::null_mut(),
                mode,
                key.as_mut_ptr(),
                key.len() as c_int,
                iv.as_mut_ptr(),
                input.as_mut_ptr(),
                input.len() as c_int,
                out.as_mut_ptr(),
            )
        };
        if rc == SQLITE_OK {
            Ok(out)
        } else {
            Err(rc)
        }
    }

    #[test]
    fn aes_256_cbc_matches_nist_sp_800_38a() {
        // NIST SP 800-38A, F.2.5 (CBC-AES256.Encrypt) and F.2.6.
        let key = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        let iv = unhex("000102030405060708090a0b0c0d0e0f");
        let plain = unhex(
            "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
             30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
        );
        let sealed = unhex(
            "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d
             39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b",
        );
        assert_eq!(
            run_cipher(CIPHER_ENCRYPT, &key, &iv, &plain),
            Ok(sealed.clone())
        );
        assert_eq!(run_cipher(CIPHER_DECRYPT, &key, &iv, &sealed), Ok(plain));
    }

    #[test]
    fn partial_blocks_short_keys_and_unknown_modes_are_refused() {
        let (key, iv) = ([7u8; 32], [9u8; 16]);
        assert_eq!(
            run_cipher(CIPHER_ENCRYPT, &key, &iv, &[0u8; 20]),
            Err(SQLITE_ERROR)
        );
        assert_eq!(
            run_cipher(CIPHER_ENCRYPT, &key[..16], &iv, &[0u8; 32]),
            Err(SQLITE_ERROR)
        );
        assert_eq!(run_cipher(5, &key, &iv, &[0u8; 32]), Err(SQLITE_ERROR));
    }

    /// Every page written gets an IV of its own: no two of a thousand alike,
    /// on this thread and on another.
    #[test]
    fn page_ivs_never_repeat() {
        fn ivs() -> Vec<[u8; 16]> {
            (0..1000)
                .map(|_| {
                    let mut iv = [0u8; 16];
                    let rc = unsafe { random(std::ptr::null_mut(), iv.as_mut_ptr().cast(), 16) };
                    assert_eq!(rc, SQLITE_OK);
                    iv
                })
                .collect()
        }
        let mut all = ivs();
        all.extend(std::thread::spawn(ivs).join().unwrap());
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len());
        let rc = unsafe { random(std::ptr::null_mut(), std::ptr::null_mut(), 16) };
        assert_eq!(rc, SQLITE_ERROR, "no buffer");
    }
}
