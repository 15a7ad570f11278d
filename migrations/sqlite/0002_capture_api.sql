-- Shift capture over HTTP: decisions on shifts, a wider audit trail, API tokens, phone-page
-- sessions and sign-in links, and idempotency keys. Secrets are never stored: tokens, sessions and
-- links are kept as SHA-256 digests of their secret part.

alter table shift add column decision_reason text not null default '';
alter table shift add column decided_by text not null default '';
alter table shift add column decided_at integer;
-- Managers' approval queues read submitted shifts by start.
create index shift_submitted on shift (first_start_utc) where status = 'submitted';

-- The audit trail gains approvals, rejections and withdrawals, who did them, and why.
create table shift_audit_v2 (
    shift_audit_id integer primary key,
    shift_id integer not null,
    worker_id text not null,
    shift_ref text not null,
    version integer not null,
    action text not null check (action in ('create','amend','approve','reject','withdraw')),
    before_hash text,
    after_hash text not null,
    source text not null,
    source_file text not null,
    changed_at integer not null,
    actor text not null default '',
    detail text not null default '',
    unique (shift_id, version)
);
insert into shift_audit_v2 (shift_audit_id, shift_id, worker_id, shift_ref, version, action,
                            before_hash, after_hash, source, source_file, changed_at)
select shift_audit_id, shift_id, worker_id, shift_ref, version, action, before_hash, after_hash,
       source, source_file, changed_at
from shift_audit;
drop table shift_audit;
alter table shift_audit_v2 rename to shift_audit;

-- An API token: `tms_<token_id>_<secret>`; only the secret's digest is kept. subjects is the
-- ';'-separated list of ids the token speaks for: a worker id, a manager's cost centres, a
-- family's people; empty for finance.
create table api_token (
    token_id text primary key,
    secret_sha256 text not null,
    role text not null check (role in ('worker','manager','finance','family')),
    subjects text not null,
    label text not null default '',
    created_at integer not null,
    expires_at integer,
    revoked_at integer
);

-- A phone-page sign-in: a cookie secret standing for the token that signed in.
create table web_session (
    session_sha256 text primary key,
    token_id text not null references api_token (token_id),
    created_at integer not null,
    expires_at integer not null
);

-- A one-time sign-in link for a token, used at most once.
create table sign_in_link (
    link_sha256 text primary key,
    token_id text not null references api_token (token_id),
    created_at integer not null,
    expires_at integer not null,
    used_at integer
);

-- The first successful response to an Idempotency-Key, replayed to every retry. principal is
-- 'role:subjects' so a key belongs to whoever sent it.
create table idempotency_key (
    principal text not null,
    idempotency_key text not null,
    request_sha256 text not null,
    shift_id integer not null,
    status_code integer not null,
    response_body text not null,
    created_at integer not null,
    primary key (principal, idempotency_key)
);
create index idempotency_key_created on idempotency_key (created_at);
