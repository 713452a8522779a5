//! Secrets in integration configs, encrypted at rest with
//! XChaCha20-Poly1305 (random 192-bit nonces, so no nonce bookkeeping).
//!
//! Each secret value is replaced in the stored config by the string
//! `pcenc:v1:<base64(nonce || ciphertext)>` of its JSON; the additional
//! data binds it to its tenant and integration, so a ciphertext copied
//! into another row does not decrypt.
//!
//! Key: `PAINCHAIN_SECRET_KEY` (64 hex chars or base64 of 32 bytes; any
//! other string is a passphrase, turned into a key with HKDF-SHA256 — values
//! encrypted by earlier versions, which used a bare SHA-256 of it, still
//! decrypt), or `PAINCHAIN_SECRET_KEY_FILE`, or
//! else (SQLite only) `<data_dir>/secret.key`, generated on first run (mode
//! 0600): the free tier needs no setup. With PostgreSQL the variable is
//! required, since every replica must use the same key.

use std::{fs, io::Write, path::Path};

use base64::{engine::general_purpose::STANDARD, Engine};
use chacha20poly1305::{
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
    XChaCha20Poly1305, XNonce,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

const PREFIX: &str = "pcenc:v1:";
/// Shown instead of a secret to callers that may not see it.
pub const MASK: &str = "••••";

pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// A passphrase's key as earlier versions derived it (bare SHA-256):
    /// tried when the current key fails, so their values stay readable.
    legacy: Option<XChaCha20Poly1305>,
    /// Where the key came from, for the startup log (never the key).
    pub source: String,
}

/// The key material of a `PAINCHAIN_SECRET_KEY` value.
struct ParsedKey {
    key: [u8; 32],
    legacy: Option<[u8; 32]>,
}

/// Domain separation for passphrase keys.
const HKDF_INFO: &[u8] = b"painchain integration secrets v1";
const HKDF_SALT: &[u8] = b"painchain";

fn parse_key(s: &str) -> ParsedKey {
    let s = s.trim();
    if s.len() == 64 {
        if let Ok(b) = hex::decode(s) {
            let key = b.try_into().expect("32 bytes");
            return ParsedKey { key, legacy: None };
        }
    }
    if let Ok(b) = STANDARD.decode(s) {
        if let Ok(key) = <[u8; 32]>::try_from(b.as_slice()) {
            return ParsedKey { key, legacy: None };
        }
    }
    // A passphrase. HKDF extracts a uniform key from it; it does not make a
    // weak passphrase strong (the docs say `openssl rand -hex 32`).
    if s.len() < 32 {
        tracing::warn!("PAINCHAIN_SECRET_KEY is a short passphrase: use 32 random bytes (`openssl rand -hex 32`)");
    }
    let mut key = [0u8; 32];
    hkdf::Hkdf::<Sha256>::new(Some(HKDF_SALT), s.as_bytes())
        .expand(HKDF_INFO, &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    ParsedKey {
        key,
        legacy: Some(Sha256::digest(s.as_bytes()).into()),
    }
}

impl SecretBox {
    pub fn from_key(key: [u8; 32], source: impl Into<String>) -> Self {
        SecretBox {
            cipher: XChaCha20Poly1305::new((&key).into()),
            legacy: None,
            source: source.into(),
        }
    }

    fn from_parsed(k: ParsedKey, source: impl Into<String>) -> Self {
        let mut b = Self::from_key(k.key, source);
        b.legacy = k.legacy.map(|l| XChaCha20Poly1305::new((&l).into()));
        b
    }

    /// A box for a `PAINCHAIN_SECRET_KEY`-style value (hex, base64 or passphrase).
    pub fn from_key_text(text: &str, source: impl Into<String>) -> Self {
        Self::from_parsed(parse_key(text), source)
    }

    /// Loads the key as documented above; `env` is usually `std::env::var`.
    pub fn load(env: &dyn Fn(&str) -> Option<String>, data_dir: &Path) -> Result<Self, String> {
        if let Some(k) = env("PAINCHAIN_SECRET_KEY").filter(|k| !k.trim().is_empty()) {
            return Ok(Self::from_key_text(&k, "PAINCHAIN_SECRET_KEY"));
        }
        if let Some(f) = env("PAINCHAIN_SECRET_KEY_FILE").filter(|k| !k.trim().is_empty()) {
            let k = fs::read_to_string(&f)
                .map_err(|e| format!("PAINCHAIN_SECRET_KEY_FILE: cannot read {f}: {e}"))?;
            return Ok(Self::from_key_text(
                &k,
                format!("PAINCHAIN_SECRET_KEY_FILE ({f})"),
            ));
        }
        let path = data_dir.join("secret.key");
        match fs::read_to_string(&path) {
            Ok(k) => Ok(Self::from_key_text(&k, path.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                fs::create_dir_all(data_dir)
                    .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
                write_private(&path, &hex::encode(key))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                tracing::info!(path = %path.display(), "generated the key that encrypts integration secrets; back it up with the database");
                Ok(Self::from_key(key, path.display().to_string()))
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    fn aad(tenant: &str, integration: &str) -> Vec<u8> {
        format!("painchain/{tenant}/{integration}").into_bytes()
    }

    pub fn encrypt(&self, tenant: &str, integration: &str, v: &Value) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let plain = serde_json::to_vec(v).expect("json");
        let aad = Self::aad(tenant, integration);
        let ct = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .expect("encryption cannot fail");
        let mut buf = nonce.to_vec();
        buf.extend(ct);
        format!("{PREFIX}{}", STANDARD.encode(buf))
    }

    pub fn decrypt(&self, tenant: &str, integration: &str, s: &str) -> Result<Value, String> {
        let raw = s
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > 24)
            .ok_or("malformed encrypted value")?;
        let (nonce, ct) = raw.split_at(24);
        let aad = Self::aad(tenant, integration);
        let nonce = XNonce::from_slice(nonce);
        let payload = || Payload { msg: ct, aad: &aad };
        let plain = self
            .cipher
            .decrypt(nonce, payload())
            .or_else(|e| match &self.legacy {
                Some(l) => l.decrypt(nonce, payload()),
                None => Err(e),
            })
            .map_err(|_| "cannot decrypt a secret: wrong PAINCHAIN_SECRET_KEY?".to_string())?;
        serde_json::from_slice(&plain).map_err(|e| e.to_string())
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(content.as_bytes())?;
    f.sync_all()
}

pub fn is_encrypted(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with(PREFIX))
}

/// A masked value: the last 4 characters of long secrets (enough to tell
/// two tokens apart), nothing of short ones.
pub fn mask(v: &Value) -> Value {
    match v.as_str() {
        Some(s) if s.chars().count() >= 12 => {
            let tail: String = s
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            Value::String(format!("{MASK}{tail}"))
        }
        _ => Value::String(MASK.to_string()),
    }
}

/// A value a client sent back unchanged from a redacted read.
pub fn is_mask(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with(MASK))
}

/// Which config paths are secret: the schema's pointers (`*` = any array
/// item) plus any key named like a credential, at any depth.
pub struct SecretPaths {
    pointers: Vec<Vec<String>>,
}

impl SecretPaths {
    pub fn new(pointers: &[String]) -> Self {
        SecretPaths {
            pointers: pointers
                .iter()
                .map(|p| p.split('/').skip(1).map(String::from).collect())
                .collect(),
        }
    }

    fn matches(&self, path: &[String]) -> bool {
        if path.last().is_some_and(|k| super::schema::is_secret_key(k)) {
            return true;
        }
        self.pointers
            .iter()
            .any(|p| p.len() == path.len() && p.iter().zip(path).all(|(a, b)| a == "*" || a == b))
    }

    /// `config.webhook.secret` style path (as validation reports it).
    pub fn matches_dotted(&self, dotted: &str) -> bool {
        let segs: Vec<String> = dotted
            .trim_start_matches("config")
            .replace('[', ".")
            .replace(']', "")
            .split('.')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        !segs.is_empty() && self.matches(&segs)
    }

    /// Applies `f` to every secret value (non-null) in `config`, with its
    /// path.
    pub fn map(&self, config: &mut Value, f: &mut dyn FnMut(&[String], &mut Value)) {
        let mut path = Vec::new();
        self.visit(config, &mut path, f);
    }

    fn visit(
        &self,
        v: &mut Value,
        path: &mut Vec<String>,
        f: &mut dyn FnMut(&[String], &mut Value),
    ) {
        if !path.is_empty() && self.matches(path) && !v.is_null() {
            f(path, v);
            return;
        }
        match v {
            Value::Object(m) => {
                for (k, child) in m.iter_mut() {
                    path.push(k.clone());
                    self.visit(child, path, f);
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter_mut().enumerate() {
                    path.push(i.to_string());
                    self.visit(child, path, f);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sbox() -> SecretBox {
        SecretBox::from_key([7; 32], "test")
    }

    #[test]
    fn roundtrip_bound_to_integration() {
        let b = sbox();
        let c = b.encrypt("t", "i1", &json!("ghp_abcdefghijklmnop"));
        assert!(c.starts_with(PREFIX) && !c.contains("ghp_"));
        assert_eq!(
            b.decrypt("t", "i1", &c).unwrap(),
            json!("ghp_abcdefghijklmnop")
        );
        assert!(b.decrypt("t", "i2", &c).is_err(), "AAD binds the row");
        assert!(SecretBox::from_key([8; 32], "x")
            .decrypt("t", "i1", &c)
            .is_err());
    }

    #[test]
    fn finds_secrets_at_any_depth() {
        let p = SecretPaths::new(&["/apiKey".into(), "/repos/*/pat".into()]);
        let mut cfg = json!({"name": "n", "token": "tok", "apiKey": "k",
            "webhook": {"secret": "s", "enabled": true},
            "repos": [{"pat": "p", "name": "r"}], "tokenUrl": "u"});
        let mut seen = vec![];
        p.map(&mut cfg, &mut |_, v| {
            seen.push(v.clone());
            *v = json!("X");
        });
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert_eq!(cfg["tokenUrl"], "u");
        assert_eq!(cfg["webhook"]["enabled"], true);
        assert!(p.matches_dotted("config.webhook.secret"));
        assert!(p.matches_dotted("config.repos[3].pat"));
    }

    /// Values written with a generated key file, and with a passphrase
    /// under the old bare-SHA-256 derivation, still decrypt.
    #[test]
    fn existing_keys_stay_readable() {
        let dir = tempfile::tempdir().unwrap();
        let none = |_: &str| -> Option<String> { None };
        let generated = SecretBox::load(&none, dir.path()).unwrap();
        let ct = generated.encrypt("t", "i", &json!("ghp_x"));
        let again = SecretBox::load(&none, dir.path()).unwrap();
        assert_eq!(again.decrypt("t", "i", &ct).unwrap(), json!("ghp_x"));

        let pass = "correct horse battery staple";
        let old_key: [u8; 32] = Sha256::digest(pass.as_bytes()).into();
        let old = SecretBox::from_key(old_key, "old").encrypt("t", "i", &json!("s1"));
        let new = SecretBox::from_key_text(pass, "new");
        assert_eq!(new.decrypt("t", "i", &old).unwrap(), json!("s1"));
        // New values use the HKDF key, not the bare hash.
        let fresh = new.encrypt("t", "i", &json!("s2"));
        assert!(SecretBox::from_key(old_key, "old")
            .decrypt("t", "i", &fresh)
            .is_err());
        assert_eq!(new.decrypt("t", "i", &fresh).unwrap(), json!("s2"));
        assert!(SecretBox::from_key_text("another passphrase", "x")
            .decrypt("t", "i", &fresh)
            .is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(mask(&json!("ghp_1234567890abcd")), json!("••••abcd"));
        assert_eq!(mask(&json!("short")), json!("••••"));
        assert!(is_mask(&json!("••••abcd")));
    }
}
