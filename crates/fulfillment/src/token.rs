//! The QR token: `BX1.` + base64url(ticket id ‖ event id ‖ seat id ‖ Ed25519 signature).
//! 48 bytes of payload and 64 of signature give 154 characters, a version-9 QR code that any
//! phone scanner reads; the key to verify it offline is public.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use kernel::{EventId, SeatId};
use uuid::Uuid;

const PREFIX: &str = "BX1.";
const DOMAIN: &[u8] = b"boxoffice-ticket-v1";

/// What a valid token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketToken {
    /// The ticket.
    pub ticket_id: Uuid,
    /// Its event.
    pub event_id: EventId,
    /// Its seat.
    pub seat_id: SeatId,
}

/// Signs and verifies ticket tokens.
pub struct TicketSigner {
    key: SigningKey,
}

impl TicketSigner {
    /// A signer with the given 32-byte secret key.
    pub fn from_secret(secret: [u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(&secret),
        }
    }

    /// The public key, base64url without padding.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.verifying_key().to_bytes())
    }

    /// The token for a ticket.
    pub fn sign(&self, token: &TicketToken) -> String {
        let payload = payload(token);
        let signature = self.key.sign(&signed_message(&payload));
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(&signature.to_bytes());
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// What `text` says, if it is a token signed with this key.
    pub fn verify(&self, text: &str) -> Option<TicketToken> {
        verify_with(&self.key.verifying_key(), text)
    }
}

/// Verifies `text` with a public key, as a door scanner would offline.
pub fn verify_with(key: &VerifyingKey, text: &str) -> Option<TicketToken> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim().strip_prefix(PREFIX)?)
        .ok()?;
    let (payload, signature) = bytes.split_at_checked(48)?;
    let signature = Signature::from_bytes(signature.try_into().ok()?);
    key.verify_strict(&signed_message(payload), &signature)
        .ok()?;
    let id = |range: std::ops::Range<usize>| Uuid::from_slice(&payload[range]).ok();
    Some(TicketToken {
        ticket_id: id(0..16)?,
        event_id: EventId(id(16..32)?),
        seat_id: SeatId(id(32..48)?),
    })
}

fn payload(t: &TicketToken) -> [u8; 48] {
    let mut out = [0u8; 48];
    out[..16].copy_from_slice(t.ticket_id.as_bytes());
    out[16..32].copy_from_slice(t.event_id.uuid().as_bytes());
    out[32..].copy_from_slice(t.seat_id.uuid().as_bytes());
    out
}

fn signed_message(payload: &[u8]) -> Vec<u8> {
    [DOMAIN, payload].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_token_verifies_and_a_changed_one_does_not() {
        let signer = TicketSigner::from_secret([7; 32]);
        let token = TicketToken {
            ticket_id: Uuid::new_v4(),
            event_id: EventId::new(),
            seat_id: SeatId::new(),
        };
        let text = signer.sign(&token);
        assert_eq!(text.len(), 154);
        assert_eq!(signer.verify(&text), Some(token));
        let mut tampered = text.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            signer.verify(std::str::from_utf8(&tampered).expect("ascii")),
            None
        );
        assert_eq!(signer.verify("BX1.short"), None);
        assert_ne!(
            TicketSigner::from_secret([8; 32]).verify(&text),
            Some(token),
            "another key"
        );
    }
}
