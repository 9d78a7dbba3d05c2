//! AES-256-GCM primitives and the associated data that binds each ciphertext to its place.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use zeroize::Zeroizing;

use crate::VaultError;

/// Bytes in an AES-256 key.
pub(crate) const KEY_LEN: usize = 32;
/// Bytes in a GCM nonce.
pub(crate) const NONCE_LEN: usize = 12;
/// Bytes in a GCM tag.
pub(crate) const TAG_LEN: usize = 16;

/// A 256-bit key that is wiped from memory when dropped.
pub(crate) type Key = Zeroizing<[u8; KEY_LEN]>;

/// Fills `N` bytes from the operating system's random source.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| VaultError::Random(e.to_string()))?;
    Ok(bytes)
}

/// A fresh random key.
pub(crate) fn random_key() -> Result<Key, VaultError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::fill(&mut key[..]).map_err(|e| VaultError::Random(e.to_string()))?;
    Ok(key)
}

fn cipher(key: &Key) -> Result<Aes256Gcm, VaultError> {
    Aes256Gcm::new_from_slice(&key[..]).map_err(|_| VaultError::Crypto)
}

/// Encrypts `plaintext`, returning ciphertext followed by the 16-byte tag. The plaintext is
/// copied once, into a buffer sized up front and encrypted in place, so no stray copy of it is
/// left in freed memory.
pub(crate) fn encrypt(
    key: &Key,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let mut buffer = Vec::with_capacity(plaintext.len() + TAG_LEN);
    buffer.extend_from_slice(plaintext);
    let tag = cipher(key)?
        .encrypt_inout_detached(&Nonce::from(*nonce), aad, buffer.as_mut_slice().into())
        .map_err(|_| VaultError::Crypto)?;
    buffer.extend_from_slice(&tag);
    Ok(buffer)
}

/// Decrypts and authenticates `sealed` (ciphertext followed by tag). `None` when the tag does
/// not verify: wrong key, wrong associated data or altered bytes.
pub(crate) fn decrypt(
    key: &Key,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
    let Some(body_len) = sealed.len().checked_sub(TAG_LEN) else {
        return Ok(None);
    };
    let (body, tag) = sealed.split_at(body_len);
    let Ok(tag) = Tag::try_from(tag) else {
        return Ok(None);
    };
    let mut buffer = Zeroizing::new(body.to_vec());
    let verified = cipher(key)?.decrypt_inout_detached(
        &Nonce::from(*nonce),
        aad,
        buffer.as_mut_slice().into(),
        &tag,
    );
    Ok(verified.ok().map(|()| buffer))
}

/// Domain of an associated-data string: what the ciphertext is.
#[derive(Clone, Copy)]
pub(crate) enum Purpose {
    /// A data key wrapped by the master key.
    DataKey,
    /// A secret value encrypted with its data key.
    Value,
}

/// Associated data binding a ciphertext to its purpose, ARN and version id. Lengths are
/// prefixed so no two (arn, version) pairs encode the same way.
pub(crate) fn aad(purpose: Purpose, arn: &str, version: &str) -> Vec<u8> {
    let label: &[u8] = match purpose {
        Purpose::DataKey => b"mudroom-vault:data-key:v1",
        Purpose::Value => b"mudroom-vault:value:v1",
    };
    let mut out = Vec::with_capacity(label.len() + 16 + arn.len() + version.len());
    out.extend_from_slice(label);
    for part in [arn.as_bytes(), version.as_bytes()] {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// Associated data of the key check value.
pub(crate) const CHECK_AAD: &[u8] = b"mudroom-vault:key-check:v1";

/// The known plaintext of the key check value.
pub(crate) const CHECK_PLAINTEXT: &[u8] = b"mudroom vault master key check";
