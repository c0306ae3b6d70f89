//! Accounts, sign-in and guest tokens.

use api::{JwtKeys, Role};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use kernel::{Clock, from_micros, to_micros};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use storage::{Database, Tx};
use uuid::Uuid;

use crate::IdentityError;
use crate::domain::{Email, User, valid_password};
use crate::password::HashingThreads;
use crate::store::{self, UserRow};

/// How long a guest token stays valid.
const GUEST_TOKEN_DAYS: i64 = 30;

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The JWT.
    pub token: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// The user's role.
    pub role: Role,
    /// The user's e-mail.
    pub email: String,
}

/// The identity context.
pub struct IdentityService {
    db: Database,
    clock: Arc<dyn Clock>,
    keys: JwtKeys,
    /// A hash to verify against when the e-mail is unknown, so a wrong e-mail costs as much time
    /// as a wrong password and sign-in does not reveal which accounts exist.
    decoy_hash: String,
    /// Where passwords are hashed and verified: one thread per core.
    hashing: HashingThreads,
}

impl IdentityService {
    /// Identity over `db`, signing tokens with `keys`.
    ///
    /// # Errors
    /// When the decoy hash cannot be computed.
    pub fn new(db: Database, clock: Arc<dyn Clock>, keys: JwtKeys) -> anyhow::Result<Self> {
        let hashing = HashingThreads::start();
        let decoy_hash = hashing.hash_now("decoy-password-never-used")?;
        Ok(Self {
            db,
            clock,
            keys,
            decoy_hash,
            hashing,
        })
    }

    /// Creates an account. Staff and Admin accounts need an administrator (`by_admin`).
    ///
    /// # Errors
    /// Invalid e-mail or password, a taken e-mail, or a role the caller may not grant.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        role: Role,
        by_admin: bool,
    ) -> Result<User, IdentityError> {
        if role != Role::User && !by_admin {
            return Err(IdentityError::Forbidden);
        }
        let email = Email::parse(email)?;
        let password = valid_password(password)?.to_owned();
        let hash = self
            .hashing
            .hash(password)
            .await
            .map_err(IdentityError::Internal)?;
        let now = self.clock.now();
        let row = UserRow {
            user_id: Uuid::new_v4(),
            email: email.as_str().to_owned(),
            password_hash: hash,
            role: role.as_str().to_owned(),
            created_at: to_micros(now),
        };
        let mut tx = self.db.begin().await?;
        if !store::insert_user(tx.conn(), &row).await? {
            return Err(IdentityError::EmailTaken(row.email));
        }
        tx.commit().await?;
        Ok(to_user(row))
    }

    /// Creates the account if the e-mail is free; returns whether it did (for `admin create`
    /// and the demo administrator).
    ///
    /// # Errors
    /// Invalid e-mail or password.
    pub async fn ensure_user(
        &self,
        email: &str,
        password: &str,
        role: Role,
    ) -> Result<bool, IdentityError> {
        match self.register(email, password, role, true).await {
            Ok(_) => Ok(true),
            Err(IdentityError::EmailTaken(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Signs in: a JWT valid two hours.
    ///
    /// # Errors
    /// [`IdentityError::InvalidCredentials`] for an unknown e-mail or a wrong password alike.
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginOutcome, IdentityError> {
        let email = email.trim().to_ascii_lowercase();
        let user = store::user_by_email(self.db.read().await?.conn(), &email).await?;
        let hash = user
            .as_ref()
            .map_or_else(|| self.decoy_hash.clone(), |u| u.password_hash.clone());
        let password = password.to_owned();
        let matches = self
            .hashing
            .verify(password, hash)
            .await
            .map_err(IdentityError::Internal)?;
        let user = user
            .filter(|_| matches)
            .ok_or(IdentityError::InvalidCredentials)?;
        let user = to_user(user);
        let (token, expires_at) = self.keys.issue(
            &user.id.to_string(),
            &user.email,
            user.role,
            self.clock.now(),
        )?;
        Ok(LoginOutcome {
            token,
            expires_at,
            role: user.role,
            email: user.email,
        })
    }

    /// The account behind a JWT subject.
    ///
    /// # Errors
    /// [`IdentityError::Unauthenticated`] when it no longer exists.
    pub async fn user(&self, id: &str) -> Result<User, IdentityError> {
        let id = Uuid::parse_str(id).map_err(|_| IdentityError::Unauthenticated)?;
        let row = store::user_by_id(self.db.read().await?.conn(), id)
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        Ok(to_user(row))
    }

    /// The door-staff accounts, oldest first.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn staff(&self) -> Result<Vec<User>, IdentityError> {
        let rows =
            store::users_with_role(self.db.read().await?.conn(), Role::Staff.as_str()).await?;
        Ok(rows.into_iter().map(to_user).collect())
    }

    /// Removes the door-staff account `id`: its tokens stop working at their next request
    /// (`api::Accounts`). Administrators are not removed this way.
    ///
    /// # Errors
    /// [`IdentityError::StaffNotFound`] when `id` is not a door-staff account.
    pub async fn remove_staff(&self, id: &str) -> Result<(), IdentityError> {
        let missing = || IdentityError::StaffNotFound(id.to_string());
        let uuid = Uuid::parse_str(id).map_err(|_| missing())?;
        let mut tx = self.db.begin().await?;
        if !store::delete_user_with_role(tx.conn(), uuid, Role::Staff.as_str()).await? {
            tx.rollback().await?;
            return Err(missing());
        }
        tx.commit().await?;
        tracing::info!(user.id = id, "door-staff account removed");
        Ok(())
    }

    /// Issues a guest token: 128 random bits, returned once; only its hash is kept.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn issue_guest_token(&self) -> Result<(String, DateTime<Utc>), IdentityError> {
        let mut tx = self.db.begin().await?;
        let issued = Self::issue_guest_token_in(&mut tx, self.clock.now()).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Issues a guest token inside the caller's transaction (the waitlist hands one out with
    /// each offer, atomically with the offer itself).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn issue_guest_token_in(
        tx: &mut Tx,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), IdentityError> {
        let bytes: [u8; 16] = rand::random();
        let token = format!("guest_{}", URL_SAFE_NO_PAD.encode(bytes));
        let expires = now + Duration::days(GUEST_TOKEN_DAYS);
        store::insert_guest_token(tx.conn(), &Sha256::digest(token.as_bytes()), now, expires)
            .await?;
        Ok((token, expires))
    }

    /// Whether `token` is an unexpired guest token issued here.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn is_guest_token(&self, token: &str) -> Result<bool, IdentityError> {
        Ok(store::guest_token_exists(
            self.db.read().await?.conn(),
            &Sha256::digest(token.as_bytes()),
            self.clock.now(),
        )
        .await?)
    }
}

fn to_user(row: UserRow) -> User {
    User {
        id: row.user_id,
        email: row.email,
        role: Role::parse(&row.role).unwrap_or(Role::User),
        created_at: from_micros(row.created_at),
    }
}

#[async_trait::async_trait]
impl api::GuestTokens for IdentityService {
    async fn is_issued(&self, token: &str) -> anyhow::Result<bool> {
        Ok(self.is_guest_token(token).await?)
    }
}

#[async_trait::async_trait]
impl api::Accounts for IdentityService {
    async fn is_active(&self, user_id: &str) -> anyhow::Result<bool> {
        match self.user(user_id).await {
            Ok(_) => Ok(true),
            Err(IdentityError::Unauthenticated) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
