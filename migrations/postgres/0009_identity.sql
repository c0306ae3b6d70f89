-- Identity: accounts and issued guest tokens.
create schema if not exists identity;

create table identity.identity_users (
    user_id uuid primary key,
    email text not null unique,          -- stored lower-case
    password_hash text not null,         -- Argon2id PHC string
    role text not null check (role in ('User', 'Staff', 'Admin')),
    created_at bigint not null
);

-- Guest tokens are bearer secrets: only their SHA-256 is kept.
create table identity.identity_guest_tokens (
    token_hash bytea primary key,
    created_at bigint not null,
    expires_at bigint not null
);
