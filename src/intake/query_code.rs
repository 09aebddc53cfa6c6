//! The applicant's query code (查询码) for the progress page HQ serves (src/hq/lookup.rs): drawn at
//! the desk when a case is accepted, printed on the 受理通知书 with the case number, and sent to HQ
//! as its SHA-256 only. Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L), 39
//! random bits: with HQ locking a case after five wrong codes in 15 minutes, guessing is hopeless.

use sha2::{Digest, Sha256};

/// The 31 characters a code is made of, none easily misread on paper (~4.95 bits each).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters per code.
const LEN: usize = 8;

fn alphabet() -> &'static [u8] {
    ALPHABET
}

/// A fresh code from the system's secure random source, printed as `XXXX-XXXX`; `None` only
/// when the operating system gives no randomness.
pub fn generate() -> Option<String> {
    use ring::rand::{SecureRandom, SystemRandom};
    let rng = SystemRandom::new();
    let letters = alphabet();
    let mut out = String::with_capacity(LEN + 1);
    let mut byte = [0u8; 1];
    while out.len() < LEN + 1 {
        rng.fill(&mut byte).ok()?;
        // A byte's top five bits index the 31 letters; the 32nd value is drawn again, so every
        // letter is equally likely.
        let i = usize::from(byte[0] >> 3);
        if i >= letters.len() {
            continue;
        }
        if out.len() == LEN / 2 {
            out.push('-');
        }
        out.push(char::from(letters[i]));
    }
    Some(out)
}

/// The code as typed by an applicant, in its canonical form (upper case, no dash or blanks), if
/// it can be a code at all.
pub fn normalise(input: &str) -> Option<String> {
    let code: String =
        input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == LEN && code.bytes().all(|b| alphabet().contains(&b))).then_some(code)
}

/// The SHA-256 (hex) HQ keeps of a code, of its canonical form.
pub fn hash(code: &str) -> String {
    let canonical = normalise(code).unwrap_or_else(|| code.to_string());
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// The address the notice prints and its QR code encodes: the configured lookup page with the
/// case number filled in (the code is typed by the applicant, never part of the address).
pub fn lookup_link(base: &str, number: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}case={number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_well_formed_distinct_and_hash_like_their_typed_forms() {
        let codes: Vec<String> = (0..200).map(|_| generate().unwrap()).collect();
        for code in &codes {
            assert_eq!(code.len(), 9, "{code}");
            assert_eq!(&code[4..5], "-");
            assert!(normalise(code).is_some(), "{code}");
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
        }
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), codes.len());
        let code = &codes[0];
        assert_eq!(hash(code), hash(&code.to_lowercase().replace('-', " ")));
        assert_ne!(hash(code), hash(&codes[1]));
    }

    #[test]
    fn typed_codes_are_checked() {
        assert_eq!(normalise(" abcd-efgh ").as_deref(), Some("ABCDEFGH"));
        assert_eq!(normalise("ABCD-EFG"), None);
        assert_eq!(normalise("ABCD-EFG0"), None, "0 is not in the alphabet");
        assert_eq!(normalise("<script>"), None);
    }

    #[test]
    fn the_link_carries_the_case_number_only() {
        assert_eq!(
            lookup_link("https://zwfw.example.cn/lookup", "HRBDL-05-20261130-0007"),
            "https://zwfw.example.cn/lookup?case=HRBDL-05-20261130-0007"
        );
        assert_eq!(lookup_link("https://x/l?src=qr", "N"), "https://x/l?src=qr&case=N");
    }
}
