-- Foundation schema: reference data, shifts and their segments, the allocation ledger, imports.
-- Money is integer pence (rates: centipence, 1/100 p); instants are whole seconds since the Unix
-- epoch (UTC), integer, exactly as on PostgreSQL, so both backends share every query and compare
-- instants as integers; local dates are 'YYYY-MM-DD'. Business keys are unique constraints, so a
-- retried write that would duplicate something fails instead of doubling it.

create table cost_centre (
    cost_centre_id text primary key,
    name text not null,
    region text not null default '',
    manager_email text not null default ''
);

create table service (
    service_code text primary key,
    name text not null,
    pay_element text not null check (pay_element in ('contact','travel','sleep_in','awake','waking_night','admin','unpaid'))
);

create table worker (
    worker_id text primary key,
    name text not null,
    payroll_number text not null,
    cost_centre_id text not null references cost_centre (cost_centre_id),
    base_rate_centipence integer not null check (base_rate_centipence >= 0),
    date_of_birth text
);

create table person (
    person_id text primary key,
    name text not null,
    cost_centre_id text not null references cost_centre (cost_centre_id),
    document_format text not null check (document_format in ('standard','large_print','easy_read')),
    contact_name text not null,
    contact_email text not null
);

create table payer (
    payer_id text primary key,
    name text not null,
    kind text not null check (kind in ('local_authority','person','representative','nhs','other')),
    email text not null default '',
    address text not null default ''
);

create table arrangement (
    person_id text not null references person (person_id),
    payer_id text not null references payer (payer_id),
    kind text not null check (kind in ('full','percentage','contribution')),
    share_basis_points integer,
    weekly_amount_pence integer,
    primary key (person_id, payer_id)
);

-- payer_id '' is the default card, so the key is unique without NULL tricks.
create table rate_card_entry (
    service_code text not null,
    band text not null check (band in ('day','night','weekend','bank_holiday')),
    ratio integer not null check (ratio >= 1),
    payer_id text not null default '',
    effective_from text not null,
    effective_to text,
    unit text not null check (unit in ('hour','night','fixed')),
    rate_centipence integer not null check (rate_centipence >= 0),
    primary key (service_code, band, ratio, payer_id, effective_from)
);

create table pay_enhancement (
    band text not null check (band in ('day','night','weekend','bank_holiday')),
    effective_from text not null,
    effective_to text,
    rate_centipence integer not null,
    primary key (band, effective_from)
);

-- band '' applies to any band without its own allowance.
create table sleep_in_allowance (
    band text not null default '',
    effective_from text not null,
    effective_to text,
    amount_pence integer not null check (amount_pence >= 0),
    primary key (band, effective_from)
);

create table budget (
    person_id text not null references person (person_id),
    period_start text not null,
    period_end text not null,
    amount_pence integer not null,
    management_costs_pence integer not null default 0,
    contingency_pence integer not null default 0,
    primary key (person_id, period_start),
    check (period_end >= period_start)
);

create table bank_holiday (
    calendar text not null,
    holiday_date text not null,
    name text not null,
    primary key (calendar, holiday_date)
);

create table one_off (
    person_id text not null references person (person_id),
    service_code text not null,
    charge_date text not null,
    description text not null default '',
    primary key (person_id, service_code, charge_date)
);

-- Every insert or change of a reference row, with the row before and after (JSON).
create table reference_audit (
    reference_audit_id integer primary key,
    kind text not null,
    record_key text not null,
    action text not null check (action in ('insert','update','delete')),
    before_json text,
    after_json text,
    source_file text not null,
    changed_at integer not null
);

-- One row per distinct file content per kind: importing the same bytes again reuses it.
create table import_file (
    import_file_id integer primary key,
    kind text not null,
    file_name text not null,
    sha256 text not null,
    rows_read integer not null default 0,
    shifts_new integer not null default 0,
    shifts_amended integer not null default 0,
    shifts_unchanged integer not null default 0,
    shifts_rejected integer not null default 0,
    rows_rejected integer not null default 0,
    status text not null check (status in ('running','done')),
    first_imported_at integer not null,
    last_imported_at integer not null,
    unique (kind, sha256)
);

-- Rows of a shift file being imported are staged in a temporary table of the importing
-- connection (sql/sqlite/create_staging.sql): they vanish with it, so a crash leaves nothing to
-- clean up, and staging never touches the write-ahead log.

create table shift_reject (
    import_file_id integer not null references import_file (import_file_id),
    row_no integer not null,
    worker_id text not null,
    shift_ref text not null,
    field text not null,
    reason text not null,
    primary key (import_file_id, row_no)
);

create table shift (
    shift_id integer primary key,
    worker_id text not null references worker (worker_id),
    shift_ref text not null,
    status text not null check (status in ('submitted','approved','rejected','withdrawn')),
    source text not null check (source in ('csv','api')),
    version integer not null check (version >= 1),
    content_hash text not null,
    first_start_utc integer not null,
    last_end_utc integer not null,
    needs_costing integer not null default 0,
    created_at integer not null,
    updated_at integer not null,
    unique (worker_id, shift_ref)
);
create index shift_needs_costing on shift (needs_costing) where needs_costing = 1;
-- Overlap checks (rules.md S2) scan a worker's shifts by start; a shift spans at most
-- SHIFT_SPAN_MINUTES_MAX, which bounds the range.
create index shift_worker_start on shift (worker_id, first_start_utc);

create table segment (
    shift_id integer not null references shift (shift_id) on delete cascade,
    segment_no integer not null,
    worker_id text not null,
    start_utc integer not null,
    end_utc integer not null,
    service_code text not null,
    people text not null,
    miles text not null default '',
    notes text not null default '',
    primary key (shift_id, segment_no),
    check (end_utc > start_utc)
) without rowid;

-- Shift ids are handed out in blocks before a batch is laid out, as PostgreSQL's identity
-- sequence does: an id once reserved is never reused, even when its batch fails.
create table shift_id_sequence (
    next_shift_id integer not null check (next_shift_id >= 1)
);
insert into shift_id_sequence (next_shift_id) values (1);

create table shift_audit (
    shift_audit_id integer primary key,
    shift_id integer not null,
    worker_id text not null,
    shift_ref text not null,
    version integer not null,
    action text not null check (action in ('create','amend')),
    before_hash text,
    after_hash text not null,
    source text not null,
    source_file text not null,
    changed_at integer not null,
    unique (shift_id, version)
);

-- The allocation ledger: one row per (segment, local date, band) per person, or unallocated.
-- Summing rows gives every invoice line of rules.md C5 and the cost shares of K2 exactly.
-- allocation_id is shift_id * 65536 + row_no (store::shifts::ALLOCATION_ROWS_PER_SHIFT_MAX): a
-- shift's rows are one contiguous key range, so new rows append to the table's end and its rows are
-- found or deleted by range, with no second index to keep up.
create table allocation (
    allocation_id integer primary key,
    shift_id integer not null references shift (shift_id),
    row_no integer not null,
    segment_no integer not null,
    start_utc integer not null,
    end_utc integer not null,
    local_date text not null,
    band text not null,
    service_code text not null,
    person_id text,
    cost_centre_id text not null,
    ratio integer not null,
    minutes integer not null check (minutes > 0),
    allocated_ticks integer not null,
    pay_pence integer not null,
    charge_unit text check (charge_unit in ('hour','night','fixed')),
    entry_rate_centipence integer,
    divisor integer not null default 1,
    night_units integer not null default 0,
    unpriced integer not null default 0,
    check (row_no >= 0 and row_no < 65536 and allocation_id = shift_id * 65536 + row_no)
);
-- Reports read the ledger by local date. The index is on the date alone: new rows carry rising
-- shift ids, so each lands at the end of its date's range instead of at a random place, which
-- keeps imports fast; a person's rows are picked out within the dates.
create index allocation_date on allocation (local_date);
