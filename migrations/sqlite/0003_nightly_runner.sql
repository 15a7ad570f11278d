-- The nightly pipeline: one row per step and key (business date or period) with its outcome,
-- the lease that lets one run at a time, the run reports, the outbox of email to send, and the
-- partitions that `tms worker` processes claim. Instants are Unix seconds.

create table job_run (
    job_run_id integer primary key,
    step text not null,
    -- YYYY-MM-DD for nightly steps, YYYY-MM for period steps.
    run_key text not null,
    status text not null check (status in ('running','done','failed')),
    attempts integer not null default 1,
    -- The run lease's token when the row was last written: a run that lost its lease cannot
    -- finish a step another run has taken over.
    fencing_token integer not null,
    started_at integer not null,
    finished_at integer,
    -- JSON object of counters, e.g. {"files": 2, "shifts_new": 40}.
    counts text not null default '{}',
    amount_pence integer not null default 0,
    -- JSON list of warnings worth a person's attention.
    warnings text not null default '[]',
    error text,
    unique (step, run_key)
);

create table run_lease (
    name text primary key,
    holder text,
    token integer not null default 0,
    expires_at integer not null default 0
);
insert into run_lease (name) values ('nightly');

create table run_report (
    run_report_id integer primary key,
    business_date text not null,
    outcome text not null check (outcome in ('done','failed')),
    started_at integer not null,
    finished_at integer not null,
    summary text not null,
    unique (business_date, started_at, outcome)
);

create table outbox (
    -- Deterministic, e.g. run-report.2026-11-30@tms: enqueueing twice keeps one message.
    message_id text primary key,
    kind text not null,
    recipients text not null,
    subject text not null,
    body text not null,
    created_at integer not null,
    status text not null check (status in ('pending','sending','sent','unknown','failed')),
    attempts integer not null default 0,
    sent_at integer,
    last_error text,
    -- The send-outbox step that sent it (its counts come from here).
    sent_by integer
);
create index outbox_pending on outbox (created_at) where status in ('pending','sending');

create table work_partition (
    step text not null,
    run_key text not null,
    partition_key text not null,
    status text not null check (status in ('pending','claimed','done')),
    lease_owner text,
    lease_token integer not null default 0,
    lease_expires_at integer not null default 0,
    -- Fenced completions: exactly one per partition.
    completions integer not null default 0,
    result text not null default '{}',
    primary key (step, run_key, partition_key)
);
create index work_partition_open on work_partition (step, run_key) where status <> 'done';

-- The nightly ingest step tags the shift files it imports, so a resumed step can tell its own
-- imports from a file dropped again after an earlier night.
alter table import_file add column job_run_id integer;

-- Every inbox file an ingest step handled, and how: its totals come from these rows, so a step
-- resumed after a crash reports what an uninterrupted one would have.
create table ingest_file (
    job_run_id integer not null references job_run (job_run_id),
    file_name text not null,
    sha256 text not null,
    kind text not null,
    outcome text not null check (outcome in ('imported','rejected_rows','refused','duplicate')),
    rows_read integer not null default 0,
    shifts_new integer not null default 0,
    shifts_amended integer not null default 0,
    shifts_unchanged integer not null default 0,
    shifts_rejected integer not null default 0,
    rows_rejected integer not null default 0,
    detail text not null default '',
    primary key (job_run_id, file_name, sha256)
);
