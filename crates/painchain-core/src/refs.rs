//! When two refs name the same thing although they are written
//! differently: a short sha and the full one, an image by tag and by digest,
//! `v1.2.3` and `1.2.3`.
//!
//! The store indexes every ref under its [`match_keys`], so finding the
//! events that share a ref is an exact index lookup of the query ref's keys;
//! [`refs_match`] then removes the rare false positive (two different shas
//! with the same 7-character prefix).

use crate::Ref;

/// Hex characters an abbreviated commit sha needs to be matched (git's own
/// default abbreviation).
pub const SHORT_SHA: usize = 7;

/// The values `r` is indexed and looked up under, itself first, without
/// duplicates. Two refs that [`refs_match`] always share a key.
pub fn match_keys(r: &Ref) -> Vec<Ref> {
    let mut keys = vec![r.clone()];
    let mut add = |value: String| {
        if !keys.iter().any(|k| k.value == value) {
            keys.push(Ref::new(r.ref_type.clone(), value));
        }
    };
    match r.ref_type.as_str() {
        "commit" => {
            if let Some(sha) = sha(&r.value) {
                add(sha[..SHORT_SHA].to_string());
                add(sha);
            }
        }
        "image" => {
            let img = Image::parse(&r.value);
            if let (Some(tag), Some(digest)) = (img.tag, img.digest) {
                add(format!("{}:{tag}", img.name));
                add(format!("{}@{digest}", img.name));
            }
        }
        "version" => {
            if let Some(v) = bare_version(&r.value) {
                add(v.to_string());
            }
        }
        _ => {}
    }
    keys
}

/// Whether `a` and `b` name the same object.
pub fn refs_match(a: &Ref, b: &Ref) -> bool {
    if a.ref_type != b.ref_type {
        return false;
    }
    if a.value == b.value {
        return true;
    }
    match a.ref_type.as_str() {
        "commit" => match (sha(&a.value), sha(&b.value)) {
            (Some(x), Some(y)) => x.starts_with(&y) || y.starts_with(&x),
            _ => false,
        },
        "image" => {
            let (x, y) = (Image::parse(&a.value), Image::parse(&b.value));
            if x.name != y.name {
                return false;
            }
            match (x.digest, y.digest) {
                (Some(dx), Some(dy)) => dx == dy,
                // Without both digests, the tags must agree (and exist).
                _ => x.tag.is_some() && x.tag == y.tag,
            }
        }
        "version" => {
            bare_version(&a.value).unwrap_or(&a.value) == bare_version(&b.value).unwrap_or(&b.value)
        }
        _ => false,
    }
}

/// A commit sha, lower-cased, when `v` is one (at least [`SHORT_SHA`] hex
/// characters, at most 64 for SHA-256 repositories).
fn sha(v: &str) -> Option<String> {
    (v.len() >= SHORT_SHA && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| v.to_ascii_lowercase())
}

/// `1.2.3` for `v1.2.3` (a `v` followed by a digit).
fn bare_version(v: &str) -> Option<&str> {
    let rest = v.strip_prefix('v').or_else(|| v.strip_prefix('V'))?;
    rest.starts_with(|c: char| c.is_ascii_digit())
        .then_some(rest)
}

/// `name[:tag][@digest]`; the tag's colon comes after the last `/` (a
/// registry may have a port: `host:5000/app:1.0`).
#[derive(Debug, PartialEq)]
pub struct Image<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> Image<'a> {
    pub fn parse(v: &'a str) -> Image<'a> {
        let (rest, digest) = match v.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (v, None),
        };
        let slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[slash..].rfind(':') {
            Some(i) => Image {
                name: &rest[..slash + i],
                tag: Some(&rest[slash + i + 1..]),
                digest,
            },
            None => Image {
                name: rest,
                tag: None,
                digest,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(t: &str, v: &str) -> Ref {
        Ref::new(t, v)
    }

    fn share_a_key(a: &Ref, b: &Ref) -> bool {
        let kb = match_keys(b);
        match_keys(a).iter().any(|k| kb.contains(k))
    }

    #[test]
    fn a_short_sha_matches_the_full_one() {
        let full = r("commit", "9f1c2ab7d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8");
        for short in ["9f1c2ab", "9f1c2ab7d3", "9F1C2AB7D3E4"] {
            let s = r("commit", short);
            assert!(refs_match(&full, &s) && refs_match(&s, &full), "{short}");
            assert!(share_a_key(&full, &s), "{short}");
        }
        assert!(
            !refs_match(&full, &r("commit", "9f1c2a")),
            "6 characters are too few"
        );
        assert!(!refs_match(&full, &r("commit", "9f1c2ac")));
        // Same 7-character prefix, different commits: a key is shared (the
        // index lookup finds it) but the match says no.
        let other = r("commit", "9f1c2ab000000000000000000000000000000000");
        assert!(share_a_key(&full, &other));
        assert!(!refs_match(&full, &other));
    }

    #[test]
    fn an_image_matches_by_tag_or_by_digest() {
        let both = r("image", "ghcr.io/acme/api:1.9.0@sha256:abc");
        let tag = r("image", "ghcr.io/acme/api:1.9.0");
        let digest = r("image", "ghcr.io/acme/api@sha256:abc");
        for (a, b) in [
            (&both, &tag),
            (&both, &digest),
            (&tag, &both),
            (&digest, &both),
        ] {
            assert!(refs_match(a, b), "{a:?} {b:?}");
            assert!(share_a_key(a, b), "{a:?} {b:?}");
        }
        assert!(
            !refs_match(&tag, &digest),
            "the digest of a tag is unknown here"
        );
        assert!(!refs_match(&tag, &r("image", "ghcr.io/acme/api:1.8.3")));
        assert!(!refs_match(
            &both,
            &r("image", "ghcr.io/acme/api:1.9.0@sha256:def")
        ));
        assert!(!refs_match(&tag, &r("image", "ghcr.io/acme/web:1.9.0")));
        let port = Image::parse("registry:5000/team/app:2.0");
        assert_eq!(
            (port.name, port.tag),
            ("registry:5000/team/app", Some("2.0"))
        );
        assert_eq!(Image::parse("registry:5000/team/app").tag, None);
    }

    #[test]
    fn versions_match_with_or_without_v() {
        assert!(refs_match(&r("version", "v1.2.3"), &r("version", "1.2.3")));
        assert!(share_a_key(&r("version", "1.2.3"), &r("version", "v1.2.3")));
        assert!(!refs_match(&r("version", "v1.2.3"), &r("version", "1.2.4")));
        assert_eq!(match_keys(&r("version", "vnext")).len(), 1);
    }

    #[test]
    fn other_refs_match_exactly() {
        let pr = r("pull_request", "acme/api#42");
        assert!(refs_match(&pr, &pr.clone()));
        assert!(!refs_match(&pr, &r("pull_request", "acme/api#4")));
        assert!(!refs_match(&pr, &r("merge_request", "acme/api#42")));
        assert_eq!(
            match_keys(&r("k8s", "prod/default/Deployment/api")).len(),
            1
        );
    }
}
