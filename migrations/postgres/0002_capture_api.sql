-- Shift capture over HTTP: decisions on shifts, a wider audit trail, API tokens, phone-page
-- sessions and sign-in links, and idempotency keys. Secrets are never stored: tokens, sessions and
-- links are kept as SHA-256 digests of their secret part.

alter table shift add column decision_reason text not null default '';
alter table shift add column decided_by text not null default '';
alter table shift add column decided_at bigint;
-- Managers' approval queues read submitted shifts by start.
create index shift_submitted on shift (first_start_utc) where status = 'submitted';

-- The audit trail gains approvals, rejections and withdrawals, who did them, and why.
alter table shift_audit drop constraint shift_audit_action_check;
alter table shift_audit add constraint shift_audit_action_check
    check (action in ('create','amend','approve','reject','withdraw'));
alter table shift_audit add column actor text not null default '';
alter table shift_audit add column detail text not null default '';

-- An API token: `tms_<token_id>_<secret>`; only the secret's digest is kept. subjects is the
-- ';'-separated list of ids the token speaks for: a worker id, a manager's cost centres, a
-- family's people; empty for finance.
create table api_token (
    token_id text primary key,
    secret_sha256 text not null,
    role text not null check (role in ('worker','manager','finance','family')),
    subjects text not null,
    label text not null default '',
    created_at bigint not null,
    expires_at bigint,
    revoked_at bigint
);

-- A phone-page sign-in: a cookie secret standing for the token that signed in.
create table web_session (
    session_sha256 text primary key,
    token_id text not null references api_token (token_id),
    created_at bigint not null,
    expires_at bigint not null
);

-- A one-time sign-in link for a token, used at most once.
create table sign_in_link (
    link_sha256 text primary key,
    token_id text not null references api_token (token_id),
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint
);

-- The first successful response to an Idempotency-Key, replayed to every retry. principal is
-- 'role:subjects' so a key belongs to whoever sent it.
create table idempotency_key (
    principal text not null,
    idempotency_key text not null,
    request_sha256 text not null,
    shift_id bigint not null,
    status_code bigint not null,
    response_body text not null,
    created_at bigint not null,
    primary key (principal, idempotency_key)
);
create index idempotency_key_created on idempotency_key (created_at);
