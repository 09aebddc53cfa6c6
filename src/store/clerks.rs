//! Who is at the window, and the key that opens the desk's store.
//!
//! A clerk signs in with a PIN (or password) set at HQ (`yichuang hq clerk set`) or, on a desk
//! without HQ, at the desk (`yichuang desk clerk set`). The desk keeps, next to its store, a small
//! file `clerks.json` (mode 0600) holding two things per clerk:
//!
//! - the **verifier**: a slow salted hash of the PIN (PBKDF2-HMAC-SHA256 from `ring`), which is
//!   what HQ sends; the desk checks a PIN against it offline;
//! - the **wrap**: the store's random 256-bit key sealed (AES-256-GCM) under a key derived from
//!   the PIN with its own salt. Any clerk with a wrap opens the store; a wrap is made when a clerk
//!   signs in while the key is known (the first sign-in of a new desk, or any sign-in at a desk
//!   that is already open), and re-made when the PIN changes.
//!
//! The verifier and the wrap use different salts, so the verifier HQ sends cannot open the store.
//!
//! A clerk set at HQ after the desk was opened has no wrap, and a wrap needs the PIN, which the
//! desk never sees before that clerk's first sign-in. So a credential also carries a **seal
//! public key**: HQ (or `desk clerk set`) derives an X25519 secret from the PIN with a third salt
//! and sends only its public half. Whenever the store key is open at the desk (any clerk signed
//! in) and a credential has no matching seal yet, the desk seals the store key to that public key
//! (ephemeral X25519, SHA-256 of the shared secret, AES-256-GCM). The new clerk's first sign-in
//! derives the secret from the PIN and opens the seal, alone, on the next shift. A PIN changed at
//! HQ brings a new public key, which is sealed to the same way; the old PIN's wrap is ignored.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::pbkdf2::{self, PBKDF2_HMAC_SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// The file, next to the store, that holds the clerks' verifiers and key wraps.
pub const CLERKS_FILE: &str = "clerks.json";

/// PBKDF2 rounds for a new verifier or wrap (OWASP 2023 for PBKDF2-HMAC-SHA256: 600,000). Each
/// record carries its own count, so raising it later keeps old records readable.
pub const PIN_ROUNDS: u32 = 600_000;

/// The shortest PIN the desk and HQ accept.
pub const MIN_PIN_CHARS: usize = 6;

/// Errors of sign-in and clerk set-up, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClerkError {
    /// No clerk of that name is known at this desk.
    #[error(
        "本窗口没有名为 {0} 的工作人员：请在总部用 yichuang hq clerk set 设置后同步，或用 yichuang desk clerk set 在本窗口设置"
    )]
    Unknown(String),
    /// HQ revoked the clerk's credential.
    #[error("{0} 的登录资格已被总部撤销")]
    Revoked(String),
    /// The PIN does not match.
    #[error("{0} 的 PIN 不正确")]
    WrongPin(String),
    /// The PIN is too short or blank.
    #[error("PIN 至少 {MIN_PIN_CHARS} 位，且不能含空白")]
    WeakPin,
    /// The clerk is known but holds no key for this desk's store yet.
    #[error(
        "{0} 尚未在本窗口开启过数据库：请先由已在本窗口登录过的工作人员登录，再由 {0} 登录一次（在锁屏上登录即可）；若 PIN 刚在总部更改，请用 yichuang desk clerk rewrap 以原 PIN 重新封装"
    )]
    NoKey(String),
    /// `clerks.json` cannot be read or written.
    #[error("工作人员文件 {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A record is malformed (hand-edited or damaged).
    #[error("工作人员 {0} 的记录已损坏")]
    Corrupt(String),
    /// The system's random source failed.
    #[error("无法取得随机数")]
    Random,
}

/// The store's key, released by a sign-in; wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl StoreKey {
    /// A new random key, for a desk's first sign-in.
    pub fn generate() -> Result<Self, ClerkError> {
        let mut key = Zeroizing::new([0u8; 32]);
        SystemRandom::new().fill(key.as_mut()).map_err(|_| ClerkError::Random)?;
        Ok(Self(key))
    }

    /// The SQLCipher `PRAGMA key` value: a raw key, so SQLCipher skips its own derivation.
    pub fn pragma(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(self.0.as_ref())))
    }
}

/// What a signed-in person may do at the window: a supervisor also approves exceptions
/// (issue #12), so the role travels with the credential HQ sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClerkRole {
    /// A window clerk (受理人).
    #[default]
    Clerk,
    /// A supervisor (值班主管): may also approve exceptions at the window.
    Supervisor,
}

impl ClerkRole {
    /// The wire and command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clerk => "clerk",
            Self::Supervisor => "supervisor",
        }
    }

    /// The name on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::Clerk => "窗口人员",
            Self::Supervisor => "主管",
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "clerk" => Some(Self::Clerk),
            "supervisor" => Some(Self::Supervisor),
            _ => None,
        }
    }
}

/// One clerk's PIN verifier, as HQ sends it or `desk clerk set` makes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// The clerk's name, as on notices (受理人).
    pub name: String,
    /// `pbkdf2-sha256$ROUNDS$SALT_HEX$HASH_HEX`.
    pub verifier: String,
    /// When the PIN was set (RFC 3339, UTC).
    pub set_at: String,
    /// Where it was set: `hq` or `desk`.
    pub source: String,
    /// Clerk or supervisor (files written before roles existed read as clerk).
    #[serde(default)]
    pub role: ClerkRole,
    /// Revoked at HQ: kept so a later pull cannot be mistaken for a new clerk, but never signs in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revoked: bool,
    /// `x25519-pbkdf2-sha256$ROUNDS$SALT_HEX$PUBLIC_HEX`: the public half of a key derived from the
    /// PIN, to which an open desk seals its store key for this clerk's first sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

impl Credential {
    /// A new credential for `pin`: its verifier and seal public key, never the PIN.
    pub fn new(name: &str, pin: &str, role: ClerkRole, source: &str) -> Result<Self, ClerkError> {
        Ok(Self {
            name: name.to_string(),
            verifier: hash_pin(pin)?,
            set_at: crate::time::to_db(crate::time::now()),
            source: source.to_string(),
            role,
            revoked: false,
            seal: Some(seal_public(pin)?),
        })
    }
}

/// The store key sealed to a credential's seal public key, until that clerk signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// The clerk.
    pub name: String,
    /// The credential's `seal` this was made for (a new PIN needs a new seal).
    pub to: String,
    /// The ephemeral X25519 public key (hex).
    pub ephemeral: String,
    /// AES-GCM nonce (hex).
    pub nonce: String,
    /// The sealed key with its tag (hex).
    pub sealed: String,
}

/// The store key sealed under a key derived from one clerk's PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wrap {
    /// The clerk.
    pub name: String,
    /// PBKDF2 rounds.
    pub rounds: u32,
    /// PBKDF2 salt (hex).
    pub salt: String,
    /// AES-GCM nonce (hex).
    pub nonce: String,
    /// The sealed key with its tag (hex).
    pub sealed: String,
}

/// The contents of `clerks.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clerks {
    /// Verifiers by clerk.
    #[serde(default)]
    pub credentials: Vec<Credential>,
    /// Key wraps by clerk.
    #[serde(default)]
    pub wraps: Vec<Wrap>,
    /// Store keys sealed for clerks who have not signed in here since their PIN was set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seals: Vec<Seal>,
}

fn random<const N: usize>() -> Result<[u8; N], ClerkError> {
    let mut out = [0u8; N];
    SystemRandom::new().fill(&mut out).map_err(|_| ClerkError::Random)?;
    Ok(out)
}

fn rounds(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// Refuses a PIN that is too short or contains whitespace.
pub fn check_pin(pin: &str) -> Result<(), ClerkError> {
    if pin.chars().count() < MIN_PIN_CHARS || pin.chars().any(char::is_whitespace) {
        return Err(ClerkError::WeakPin);
    }
    Ok(())
}

/// A new verifier for `pin` (what HQ stores and sends).
pub fn hash_pin(pin: &str) -> Result<String, ClerkError> {
    check_pin(pin)?;
    let salt: [u8; 16] = random()?;
    let mut hash = [0u8; 32];
    pbkdf2::derive(PBKDF2_HMAC_SHA256, rounds(PIN_ROUNDS), &salt, pin.as_bytes(), &mut hash);
    Ok(format!("pbkdf2-sha256${PIN_ROUNDS}${}${}", hex::encode(salt), hex::encode(hash)))
}

/// Whether `pin` matches `verifier` (constant-time); `None` when the verifier is malformed.
pub fn verify_pin(verifier: &str, pin: &str) -> Option<bool> {
    let mut parts = verifier.split('$');
    let (Some("pbkdf2-sha256"), Some(n), Some(salt), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let n: u32 = n.parse().ok().filter(|n| *n > 0)?;
    let salt = hex::decode(salt).ok()?;
    let hash = hex::decode(hash).ok()?;
    Some(pbkdf2::verify(PBKDF2_HMAC_SHA256, rounds(n), &salt, pin.as_bytes(), &hash).is_ok())
}

fn kek(pin: &str, salt: &[u8], n: u32) -> LessSafeKey {
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::derive(PBKDF2_HMAC_SHA256, rounds(n), salt, pin.as_bytes(), key.as_mut());
    // A 32-byte key is always a valid AES-256 key.
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_ref()).expect("32-byte AES-256 key"))
}

const SEAL_SCHEME: &str = "x25519-pbkdf2-sha256";

fn seal_secret(pin: &str, salt: &[u8], n: u32) -> x25519_dalek::StaticSecret {
    let mut seed = Zeroizing::new([0u8; 32]);
    pbkdf2::derive(PBKDF2_HMAC_SHA256, rounds(n), salt, pin.as_bytes(), seed.as_mut());
    x25519_dalek::StaticSecret::from(*seed)
}

/// A new seal public key for `pin` (`x25519-pbkdf2-sha256$ROUNDS$SALT$PUBLIC`), with its own salt.
pub fn seal_public(pin: &str) -> Result<String, ClerkError> {
    check_pin(pin)?;
    let salt: [u8; 16] = random()?;
    let public = x25519_dalek::PublicKey::from(&seal_secret(pin, &salt, PIN_ROUNDS));
    Ok(format!("{SEAL_SCHEME}${PIN_ROUNDS}${}${}", hex::encode(salt), hex::encode(public.as_bytes())))
}

/// Parses a seal string: (rounds, salt, public key).
fn parse_seal(seal: &str) -> Option<(u32, Vec<u8>, [u8; 32])> {
    let mut parts = seal.split('$');
    let (Some(SEAL_SCHEME), Some(n), Some(salt), Some(public), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let n: u32 = n.parse().ok().filter(|n| *n > 0)?;
    Some((n, hex::decode(salt).ok()?, hex::decode(public).ok()?.try_into().ok()?))
}

/// The AES key of a seal: SHA-256 over the shared secret and both public keys.
fn seal_kek(shared: &x25519_dalek::SharedSecret, ephemeral: &[u8; 32], public: &[u8; 32]) -> LessSafeKey {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"yichuang-store-seal\0");
    h.update(shared.as_bytes());
    h.update(ephemeral);
    h.update(public);
    let key = Zeroizing::new(<[u8; 32]>::from(h.finalize()));
    // A 32-byte key is always a valid AES-256 key.
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_ref()).expect("32-byte AES-256 key"))
}

/// `key` sealed for the holder of the PIN behind `seal` (a credential's), bound to `name`.
pub fn seal_to(key: &StoreKey, name: &str, seal: &str) -> Result<Seal, ClerkError> {
    let (_, _, public) = parse_seal(seal).ok_or_else(|| ClerkError::Corrupt(name.to_string()))?;
    let ephemeral = x25519_dalek::StaticSecret::from(random::<32>()?);
    let ephemeral_public = *x25519_dalek::PublicKey::from(&ephemeral).as_bytes();
    let shared = ephemeral.diffie_hellman(&x25519_dalek::PublicKey::from(public));
    let nonce: [u8; 12] = random()?;
    let mut sealed = key.0.to_vec();
    seal_kek(&shared, &ephemeral_public, &public)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(name.as_bytes()),
            &mut sealed,
        )
        .map_err(|_| ClerkError::Random)?;
    let out = Seal {
        name: name.to_string(),
        to: seal.to_string(),
        ephemeral: hex::encode(ephemeral_public),
        nonce: hex::encode(nonce),
        sealed: hex::encode(&sealed),
    };
    sealed.zeroize();
    Ok(out)
}

/// The store key from `sealed` with `pin`; `Ok(None)` when the PIN does not open it.
pub fn open_seal(sealed: &Seal, pin: &str) -> Result<Option<StoreKey>, ClerkError> {
    let corrupt = || ClerkError::Corrupt(sealed.name.clone());
    let (n, salt, public) = parse_seal(&sealed.to).ok_or_else(corrupt)?;
    let ephemeral: [u8; 32] =
        hex::decode(&sealed.ephemeral).ok().and_then(|e| e.try_into().ok()).ok_or_else(corrupt)?;
    let nonce: [u8; 12] =
        hex::decode(&sealed.nonce).ok().and_then(|n| n.try_into().ok()).ok_or_else(corrupt)?;
    let mut bytes = Zeroizing::new(hex::decode(&sealed.sealed).map_err(|_| corrupt())?);
    let secret = seal_secret(pin, &salt, n);
    if *x25519_dalek::PublicKey::from(&secret).as_bytes() != public {
        return Ok(None);
    }
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(ephemeral));
    let opened = seal_kek(&shared, &ephemeral, &public).open_in_place(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(sealed.name.as_bytes()),
        &mut bytes,
    );
    let Ok(plain) = opened else { return Ok(None) };
    let key: [u8; 32] = plain.try_into().map_err(|_| corrupt())?;
    Ok(Some(StoreKey(Zeroizing::new(key))))
}

/// `key` sealed under `pin` for `name` (the name is bound as associated data).
pub fn wrap(key: &StoreKey, name: &str, pin: &str) -> Result<Wrap, ClerkError> {
    let salt: [u8; 16] = random()?;
    let nonce: [u8; 12] = random()?;
    let mut sealed = key.0.to_vec();
    kek(pin, &salt, PIN_ROUNDS)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(name.as_bytes()),
            &mut sealed,
        )
        .map_err(|_| ClerkError::Random)?;
    let wrap = Wrap {
        name: name.to_string(),
        rounds: PIN_ROUNDS,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        sealed: hex::encode(&sealed),
    };
    sealed.zeroize();
    Ok(wrap)
}

/// The store key from `wrap` with `pin`; `Ok(None)` when the PIN does not open it.
pub fn unwrap(wrap: &Wrap, pin: &str) -> Result<Option<StoreKey>, ClerkError> {
    let corrupt = || ClerkError::Corrupt(wrap.name.clone());
    let salt = hex::decode(&wrap.salt).map_err(|_| corrupt())?;
    let nonce: [u8; 12] =
        hex::decode(&wrap.nonce).ok().and_then(|n| n.try_into().ok()).ok_or_else(corrupt)?;
    let mut sealed = Zeroizing::new(hex::decode(&wrap.sealed).map_err(|_| corrupt())?);
    let opened = kek(pin, &salt, wrap.rounds.max(1)).open_in_place(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(wrap.name.as_bytes()),
        &mut sealed,
    );
    let Ok(plain) = opened else { return Ok(None) };
    let bytes: [u8; 32] = plain.try_into().map_err(|_| corrupt())?;
    Ok(Some(StoreKey(Zeroizing::new(bytes))))
}

/// A successful sign-in: who, and the key to the store.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The clerk's name.
    pub clerk: String,
    /// The store's key.
    pub key: StoreKey,
    /// Whether this sign-in made the store's key (a desk's first sign-in).
    pub new_key: bool,
}

impl Clerks {
    /// The path of the file in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(CLERKS_FILE)
    }

    /// Reads `clerks.json` from `data_dir`; an absent file is an empty set.
    pub fn load(data_dir: &Path) -> Result<Self, ClerkError> {
        let path = Self::path(data_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(ClerkError::File { path, message: e.to_string() }),
        };
        serde_json::from_str(&text).map_err(|e| ClerkError::File { path, message: e.to_string() })
    }

    /// Writes `clerks.json` atomically (temporary file, fsync, rename), readable by its owner only.
    pub fn save(&self, data_dir: &Path) -> Result<(), ClerkError> {
        use std::io::Write;
        let path = Self::path(data_dir);
        let fail = |e: std::io::Error| ClerkError::File { path: path.clone(), message: e.to_string() };
        let tmp = data_dir.join(format!("{CLERKS_FILE}.tmp"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(fail)?;
        let text = serde_json::to_string_pretty(self).map_err(|e| fail(std::io::Error::other(e)))?;
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, &path).map_err(fail)
    }

    /// The clerk's role; `None` for an unknown or revoked clerk.
    pub fn role(&self, name: &str) -> Option<ClerkRole> {
        self.credential(name).filter(|c| !c.revoked).map(|c| c.role)
    }

    /// Whether any clerk is set at this desk (then the store is encrypted and needs a sign-in).
    pub fn any(&self) -> bool {
        !self.credentials.is_empty()
    }

    /// The clerk's verifier.
    pub fn credential(&self, name: &str) -> Option<&Credential> {
        self.credentials.iter().find(|c| c.name == name)
    }

    /// Sets (or replaces) a clerk's verifier.
    pub fn set_credential(&mut self, credential: Credential) {
        self.credentials.retain(|c| c.name != credential.name);
        self.credentials.push(credential);
        self.credentials.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// Sets (or replaces) a clerk's wrap.
    pub fn set_wrap(&mut self, wrap: Wrap) {
        self.wraps.retain(|w| w.name != wrap.name);
        self.wraps.push(wrap);
        self.wraps.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// Checks `pin` for `name` against the verifier (offline).
    pub fn verify(&self, name: &str, pin: &str) -> Result<(), ClerkError> {
        let credential = self.credential(name).ok_or_else(|| ClerkError::Unknown(name.to_string()))?;
        if credential.revoked {
            return Err(ClerkError::Revoked(name.to_string()));
        }
        match verify_pin(&credential.verifier, pin) {
            Some(true) => Ok(()),
            Some(false) => Err(ClerkError::WrongPin(name.to_string())),
            None => Err(ClerkError::Corrupt(name.to_string())),
        }
    }

    /// Signs `name` in with `pin`: checks the verifier, then opens the store key. `open` is the key
    /// already released in this session (the lock screen of an open desk), which is then wrapped for
    /// this clerk; a desk with no wrap at all gets a new key. Returns whether the file changed (the
    /// caller saves it).
    pub fn sign_in(
        &mut self,
        name: &str,
        pin: &str,
        open: Option<&StoreKey>,
    ) -> Result<(SignedIn, bool), ClerkError> {
        let (signed, changed) = self.open_for(name, pin, open)?;
        let sealed = self.seal_pending(&signed.key)?;
        Ok((signed, changed || sealed > 0))
    }

    fn open_for(
        &mut self,
        name: &str,
        pin: &str,
        open: Option<&StoreKey>,
    ) -> Result<(SignedIn, bool), ClerkError> {
        self.verify(name, pin)?;
        if let Some(w) = self.wraps.iter().find(|w| w.name == name)
            && let Some(key) = unwrap(w, pin)?
        {
            if open.is_some_and(|o| *o != key) {
                // A stale wrap from an older store key: replace it with the session's.
                let key = open.cloned().unwrap_or(key);
                self.set_wrap(wrap(&key, name, pin)?);
                return Ok((SignedIn { clerk: name.into(), key, new_key: false }, true));
            }
            return Ok((SignedIn { clerk: name.into(), key, new_key: false }, false));
        }
        // A clerk set (or whose PIN changed) since: the key an open desk sealed to their PIN.
        let current = self.credential(name).and_then(|c| c.seal.clone());
        if open.is_none()
            && let Some(seal) = self.seals.iter().find(|s| s.name == name && Some(&s.to) == current.as_ref())
            && let Some(key) = open_seal(seal, pin)?
        {
            self.set_wrap(wrap(&key, name, pin)?);
            return Ok((SignedIn { clerk: name.into(), key, new_key: false }, true));
        }
        let (key, new_key) = match open {
            Some(key) => (key.clone(), false),
            None if self.wraps.is_empty() && self.seals.is_empty() => (StoreKey::generate()?, true),
            None => return Err(ClerkError::NoKey(name.to_string())),
        };
        self.set_wrap(wrap(&key, name, pin)?);
        Ok((SignedIn { clerk: name.into(), key, new_key }, true))
    }

    /// With the store key open, seals it for every clerk whose current credential has no seal
    /// yet (set at HQ since, or a new PIN), and drops seals and wraps of revoked clerks. Returns
    /// how many seals were made (the caller saves the file when it changed anything).
    pub fn seal_pending(&mut self, key: &StoreKey) -> Result<usize, ClerkError> {
        let revoked: Vec<String> =
            self.credentials.iter().filter(|c| c.revoked).map(|c| c.name.clone()).collect();
        self.wraps.retain(|w| !revoked.contains(&w.name));
        self.seals.retain(|s| !revoked.contains(&s.name));
        let mut made = 0;
        let pending: Vec<(String, String)> = self
            .credentials
            .iter()
            .filter(|c| !c.revoked)
            .filter_map(|c| Some((c.name.clone(), c.seal.clone()?)))
            .filter(|(name, seal)| !self.seals.iter().any(|s| s.name == *name && s.to == *seal))
            .collect();
        for (name, seal) in pending {
            // One seal per current credential: made once, kept until the PIN changes.
            let sealed = seal_to(key, &name, &seal)?;
            self.seals.retain(|s| s.name != name);
            self.seals.push(sealed);
            made += 1;
        }
        self.seals.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(made)
    }

    /// Takes a credential HQ sent: replaces the clerk's (an older `set_at` never replaces a
    /// newer one). Returns whether anything changed.
    pub fn receive(&mut self, credential: Credential) -> bool {
        if let Some(old) = self.credential(&credential.name)
            && (old == &credential || old.set_at > credential.set_at)
        {
            return false;
        }
        if credential.revoked {
            self.wraps.retain(|w| w.name != credential.name);
            self.seals.retain(|s| s.name != credential.name);
        }
        self.set_credential(credential);
        true
    }

    /// After a PIN change (a new verifier from HQ), re-seals the clerk's key under the new PIN,
    /// opening the old wrap with the old PIN.
    pub fn rewrap(&mut self, name: &str, old_pin: &str, new_pin: &str) -> Result<StoreKey, ClerkError> {
        self.verify(name, new_pin)?;
        let old = self.wraps.iter().find(|w| w.name == name).ok_or_else(|| ClerkError::NoKey(name.into()))?;
        let key = unwrap(old, old_pin)?.ok_or_else(|| ClerkError::WrongPin(name.to_string()))?;
        self.set_wrap(wrap(&key, name, new_pin)?);
        Ok(key)
    }
}

/// The credentials of this process's desk, for a supervisor's approval at the window (issue #12):
/// loaded at sign-in and again whenever a pull brings credentials from HQ.
static DESK_CREDENTIALS: std::sync::RwLock<Vec<Credential>> = std::sync::RwLock::new(Vec::new());

/// Makes `credentials` the ones a supervisor's approval is checked against in this process.
pub fn set_desk_credentials(credentials: Vec<Credential>) {
    *DESK_CREDENTIALS.write().unwrap_or_else(std::sync::PoisonError::into_inner) = credentials;
}

/// Why a supervisor's approval was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// No supervisor of that name at this desk.
    #[error("本窗口没有名为 {0} 的主管（主管须在总部用 hq clerk set --role supervisor 设置并同步）")]
    NotSupervisor(String),
    /// The clerk at the window cannot approve their own exception.
    #[error("经办人本人不能放行，请由另一位主管输入 PIN")]
    OwnCase,
    /// The PIN does not match.
    #[error("{0} 的 PIN 不正确")]
    WrongPin(String),
}

/// Checks a supervisor's PIN offline against the credential HQ sent (role supervisor, not
/// revoked); `clerk` is who works the case, who cannot approve for themselves.
pub fn verify_supervisor(name: &str, pin: &str, clerk: Option<&str>) -> Result<String, ApprovalError> {
    let name = name.trim();
    if clerk == Some(name) {
        return Err(ApprovalError::OwnCase);
    }
    let credentials = DESK_CREDENTIALS.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    let credential = credentials
        .iter()
        .find(|c| c.name == name && c.role == ClerkRole::Supervisor && !c.revoked)
        .ok_or_else(|| ApprovalError::NotSupervisor(name.to_string()))?;
    match verify_pin(&credential.verifier, pin) {
        Some(true) => Ok(credential.name.clone()),
        _ => Err(ApprovalError::WrongPin(name.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(name: &str, pin: &str) -> Credential {
        Credential {
            name: name.into(),
            verifier: hash_pin(pin).unwrap(),
            set_at: "2026-12-03T09:00:00+00:00".into(),
            source: "desk".into(),
            role: Default::default(),
            revoked: false,
            seal: None,
        }
    }

    #[test]
    fn verifier_accepts_the_pin_and_nothing_else() {
        let v = hash_pin("246810").unwrap();
        assert_eq!(verify_pin(&v, "246810"), Some(true));
        assert_eq!(verify_pin(&v, "246811"), Some(false));
        assert_eq!(verify_pin("pbkdf2-sha256$0$zz$00", "246810"), None);
        assert_eq!(verify_pin("plain", "246810"), None);
        // Two hashes of one PIN differ (salted).
        assert_ne!(hash_pin("246810").unwrap(), v);
        assert!(matches!(hash_pin("123"), Err(ClerkError::WeakPin)));
        assert!(matches!(hash_pin("12 3456"), Err(ClerkError::WeakPin)));
    }

    #[test]
    fn any_enrolled_clerk_opens_the_same_key_and_a_wrong_pin_opens_nothing() {
        let mut clerks = Clerks::default();
        clerks.set_credential(credential("王芳", "111111"));
        clerks.set_credential(credential("李强", "222222"));
        let (first, changed) = clerks.sign_in("王芳", "111111", None).unwrap();
        assert!(first.new_key && changed);
        // 李强 has no wrap yet and nobody has the key open: refused with what to do.
        assert!(matches!(clerks.sign_in("李强", "222222", None), Err(ClerkError::NoKey(_))));
        // At the lock screen of the open desk, 李强 signs in and gets the same key wrapped.
        let (second, changed) = clerks.sign_in("李强", "222222", Some(&first.key)).unwrap();
        assert!(changed && !second.new_key);
        assert_eq!(second.key, first.key);
        // From now on, either opens the store alone.
        let (again, changed) = clerks.sign_in("李强", "222222", None).unwrap();
        assert!(!changed);
        assert_eq!(again.key, first.key);
        assert!(matches!(clerks.sign_in("王芳", "222222", None), Err(ClerkError::WrongPin(_))));
        assert!(matches!(clerks.sign_in("赵六", "222222", None), Err(ClerkError::Unknown(_))));
        // A wrap cannot be moved to another clerk's name (the name is sealed with it).
        let mut moved = clerks.wraps.iter().find(|w| w.name == "王芳").unwrap().clone();
        moved.name = "李强".into();
        assert!(unwrap(&moved, "111111").unwrap().is_none());
    }

    #[test]
    fn a_pin_change_rewraps_with_the_old_pin() {
        let mut clerks = Clerks::default();
        clerks.set_credential(credential("王芳", "111111"));
        let (first, _) = clerks.sign_in("王芳", "111111", None).unwrap();
        // HQ sends a new verifier: the new PIN verifies, but the old wrap does not open with it.
        clerks.set_credential(credential("王芳", "333333"));
        assert!(matches!(clerks.sign_in("王芳", "333333", None), Err(ClerkError::NoKey(_))));
        assert!(matches!(clerks.rewrap("王芳", "999999", "333333"), Err(ClerkError::WrongPin(_))));
        assert_eq!(clerks.rewrap("王芳", "111111", "333333").unwrap(), first.key);
        assert_eq!(clerks.sign_in("王芳", "333333", None).unwrap().0.key, first.key);
    }

    #[test]
    fn a_file_without_roles_reads_as_clerks_and_a_revoked_clerk_cannot_sign_in() {
        let old = r#"{"credentials":[{"name":"王芳","verifier":"x","set_at":"t","source":"desk"}]}"#;
        let clerks: Clerks = serde_json::from_str(old).unwrap();
        assert_eq!(clerks.credentials[0].role, ClerkRole::Clerk);
        assert!(!clerks.credentials[0].revoked);
        let mut clerks = Clerks::default();
        let mut boss = credential("赵主管", "555555");
        boss.role = ClerkRole::Supervisor;
        clerks.set_credential(boss.clone());
        assert_eq!(clerks.role("赵主管"), Some(ClerkRole::Supervisor));
        assert!(clerks.verify("赵主管", "555555").is_ok());
        boss.revoked = true;
        clerks.set_credential(boss);
        assert_eq!(clerks.role("赵主管"), None);
        assert!(matches!(clerks.verify("赵主管", "555555"), Err(ClerkError::Revoked(_))));
        assert!(matches!(clerks.sign_in("赵主管", "555555", None), Err(ClerkError::Revoked(_))));
    }

    fn from_hq(name: &str, pin: &str, role: ClerkRole, at: &str) -> Credential {
        Credential { set_at: at.into(), ..Credential::new(name, pin, role, "hq").unwrap() }
    }

    #[test]
    fn a_clerk_set_at_hq_later_signs_in_alone_once_an_open_desk_has_sealed_for_them() {
        let mut desk = Clerks::default();
        assert!(desk.receive(from_hq("王芳", "111111", ClerkRole::Clerk, "2026-12-01T01:00:00Z")));
        let (first, _) = desk.sign_in("王芳", "111111", None).unwrap();
        // The next pull brings 李强, set at HQ. Nobody has the store open: no seal yet.
        let li = from_hq("李强", "222222", ClerkRole::Supervisor, "2026-12-02T01:00:00Z");
        assert!(desk.receive(li.clone()));
        assert!(!desk.receive(li), "the same credential again changes nothing");
        assert!(matches!(desk.sign_in("李强", "222222", None), Err(ClerkError::NoKey(_))));
        // 王芳 opens the desk for her shift: the key is sealed to 李强's public key.
        let (_, changed) = desk.sign_in("王芳", "111111", None).unwrap();
        assert!(changed);
        assert!(desk.seals.iter().any(|s| s.name == "李强"));
        // Next shift, 李强 alone: a wrong PIN opens nothing, the right one the same key.
        assert!(matches!(desk.sign_in("李强", "999999", None), Err(ClerkError::WrongPin(_))));
        let (li_in, _) = desk.sign_in("李强", "222222", None).unwrap();
        assert_eq!(li_in.key, first.key);
        assert_eq!(desk.role("李强"), Some(ClerkRole::Supervisor));
        // A seal made for one clerk does not open under another's name.
        let mut moved = desk.seals.iter().find(|s| s.name == "李强").unwrap().clone();
        moved.name = "王芳".into();
        assert!(open_seal(&moved, "222222").unwrap().is_none());
        // HQ changes 王芳's PIN: the old wrap is no use, the new PIN opens the seal made while
        // 李强 had the desk open.
        assert!(desk.receive(from_hq("王芳", "333333", ClerkRole::Clerk, "2026-12-03T01:00:00Z")));
        assert!(!desk.receive(from_hq("王芳", "444444", ClerkRole::Clerk, "2026-12-01T00:00:00Z")), "older");
        assert!(matches!(desk.sign_in("王芳", "333333", None), Err(ClerkError::NoKey(_))));
        desk.sign_in("李强", "222222", None).unwrap();
        assert_eq!(desk.sign_in("王芳", "333333", None).unwrap().0.key, first.key);
        assert!(matches!(desk.sign_in("王芳", "111111", None), Err(ClerkError::WrongPin(_))));
        // HQ revokes 李强: refused, and nothing of the key is kept for him.
        let mut gone = from_hq("李强", "222222", ClerkRole::Supervisor, "2026-12-03T02:00:00Z");
        gone.revoked = true;
        assert!(desk.receive(gone));
        assert!(matches!(desk.sign_in("李强", "222222", None), Err(ClerkError::Revoked(_))));
        assert!(!desk.wraps.iter().any(|w| w.name == "李强") && !desk.seals.iter().any(|s| s.name == "李强"));
    }

    #[test]
    fn only_a_supervisor_other_than_the_clerk_approves_with_the_right_pin() {
        let boss = from_hq("赵敏", "556677", ClerkRole::Supervisor, "2026-12-01T01:00:00Z");
        let clerk = from_hq("王芳", "246810", ClerkRole::Clerk, "2026-12-01T01:00:00Z");
        let mut gone = from_hq("钱七", "778899", ClerkRole::Supervisor, "2026-12-01T01:00:00Z");
        gone.revoked = true;
        set_desk_credentials(vec![boss, clerk, gone]);
        assert_eq!(verify_supervisor("赵敏", "556677", Some("王芳")), Ok("赵敏".into()));
        assert_eq!(
            verify_supervisor("赵敏", "000000", Some("王芳")),
            Err(ApprovalError::WrongPin("赵敏".into()))
        );
        assert!(matches!(
            verify_supervisor("王芳", "246810", Some("李强")),
            Err(ApprovalError::NotSupervisor(_))
        ));
        assert!(matches!(verify_supervisor("钱七", "778899", None), Err(ApprovalError::NotSupervisor(_))));
        assert_eq!(verify_supervisor("赵敏", "556677", Some("赵敏")), Err(ApprovalError::OwnCase));
    }

    #[test]
    fn the_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Clerks::load(dir.path()).unwrap(), Clerks::default());
        let mut clerks = Clerks::default();
        clerks.set_credential(credential("王芳", "111111"));
        clerks.sign_in("王芳", "111111", None).unwrap();
        clerks.save(dir.path()).unwrap();
        assert_eq!(Clerks::load(dir.path()).unwrap(), clerks);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(Clerks::path(dir.path())).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(Clerks::path(dir.path()), "{").unwrap();
        assert!(matches!(Clerks::load(dir.path()), Err(ClerkError::File { .. })));
    }
}
