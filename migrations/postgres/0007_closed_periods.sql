-- Closed periods and resolved rejects.
--
-- 1. A period's files are written once, when it closes, and never again. What they held is kept
--    here so that every later change to the period's dates — a shift approved, amended or
--    withdrawn, a one-off added, a recost after a rate change — is found and shown against it
--    (the late-changes step and report) instead of rewriting the files. Amounts are pence.
-- 2. A rejected shift row is resolved when the same worker and shift reference is accepted
--    later, by an import, the API or the phone page.

create table closed_period (
    -- YYYY-MM.
    period text primary key,
    closed_at bigint not null,
    -- 'closed' by its period-charges step; 'adopted' when the period closed before totals were
    -- kept, and its totals were taken the first time it was checked.
    how text not null check (how in ('closed','adopted')),
    charge_lines bigint not null,
    people bigint not null,
    amount_pence bigint not null
);

-- Each payer's share of each person's charges (docs/rules.md P2); payer_id '' where the person
-- has no arrangement.
create table closed_period_total (
    period text not null references closed_period (period),
    person_id text not null,
    payer_id text not null,
    amount_pence bigint not null,
    primary key (period, person_id, payer_id)
);

-- Each approved shift's charges to each person, the shift's own lines each rounded once.
create table closed_period_shift (
    period text not null references closed_period (period),
    shift_id bigint not null,
    person_id text not null,
    worker_id text not null,
    shift_ref text not null,
    content_hash text not null,
    -- The first local date of the period the shift charged the person for.
    first_date date not null,
    amount_pence bigint not null,
    primary key (period, shift_id, person_id)
);

-- Each priced one-off item.
create table closed_period_one_off (
    period text not null references closed_period (period),
    person_id text not null,
    service_code text not null,
    charge_date date not null,
    amount_pence bigint not null,
    primary key (period, person_id, service_code, charge_date)
);

alter table shift_reject add column resolved_at bigint;
-- What accepted the shift: the file it was imported from, or who submitted it.
alter table shift_reject add column resolved_by text not null default '';
create index shift_reject_open on shift_reject (worker_id, shift_ref) where resolved_at is null;

-- Rejects already followed by an accepted version of their shift (a create or an amendment
-- after their file was last imported) are resolved by it.
update shift_reject
set resolved_at = (
        select min(a.changed_at) from shift_audit a, import_file f
        where f.import_file_id = shift_reject.import_file_id
          and a.worker_id = shift_reject.worker_id and a.shift_ref = shift_reject.shift_ref
          and a.action in ('create','amend') and a.changed_at >= f.last_imported_at),
    resolved_by = coalesce((
        select case when a.source_file <> '' then a.source_file else a.actor end
        from shift_audit a, import_file f
        where f.import_file_id = shift_reject.import_file_id
          and a.worker_id = shift_reject.worker_id and a.shift_ref = shift_reject.shift_ref
          and a.action in ('create','amend') and a.changed_at >= f.last_imported_at
        order by a.changed_at, a.shift_audit_id
        limit 1), '')
where exists (
    select 1 from shift_audit a, import_file f
    where f.import_file_id = shift_reject.import_file_id
      and a.worker_id = shift_reject.worker_id and a.shift_ref = shift_reject.shift_ref
      and a.action in ('create','amend') and a.changed_at >= f.last_imported_at);
