-- Identity: accounts and issued guest tokens.
create table identity_users (
    user_id blob primary key,
    email text not null unique,          -- stored lower-case
    password_hash text not null,         -- Argon2id PHC string
    role text not null check (role in ('User', 'Staff', 'Admin')),
    created_at integer not null
);

-- Guest tokens are bearer secrets: only their SHA-256 is kept.
create table identity_guest_tokens (
    token_hash blob primary key,
    created_at integer not null,
    expires_at integer not null
);
