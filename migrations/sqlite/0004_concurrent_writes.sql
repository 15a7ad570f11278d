-- no-transaction
-- Concurrent writers.
-- 1. reference_version: one row, bumped by every change to reference data in the transaction that
--    makes it. A shift write compares it with the version its costs were computed from, inside its
--    own transaction, and stores the shift marked for recosting when they differ.
-- 2. import_file: an import is identified by its kind, content and the scope of whoever imported
--    it ('' for the operator and finance, 'cost-centres:A;B' for a manager's upload), so the same
--    bytes uploaded by a narrower scope are an import of their own and never rewrite another's
--    record. SQLite cannot change a table's unique constraint in place, so the table is rebuilt
--    (with foreign keys off, as SQLite's documented procedure requires).
pragma foreign_keys = off;
begin immediate;

create table reference_version (
    singleton integer primary key check (singleton = 1),
    version integer not null
);
insert into reference_version (singleton, version) values (1, 0);

create table import_file_rebuilt (
    import_file_id integer primary key,
    kind text not null,
    file_name text not null,
    sha256 text not null,
    scope text not null default '',
    rows_read integer not null default 0,
    shifts_new integer not null default 0,
    shifts_amended integer not null default 0,
    shifts_unchanged integer not null default 0,
    shifts_rejected integer not null default 0,
    rows_rejected integer not null default 0,
    status text not null check (status in ('running','done')),
    first_imported_at integer not null,
    last_imported_at integer not null,
    job_run_id integer,
    unique (kind, sha256, scope)
);
insert into import_file_rebuilt (import_file_id, kind, file_name, sha256, scope, rows_read,
    shifts_new, shifts_amended, shifts_unchanged, shifts_rejected, rows_rejected, status,
    first_imported_at, last_imported_at, job_run_id)
select import_file_id, kind, file_name, sha256, '', rows_read, shifts_new, shifts_amended,
    shifts_unchanged, shifts_rejected, rows_rejected, status, first_imported_at,
    last_imported_at, job_run_id
from import_file;
drop table import_file;
alter table import_file_rebuilt rename to import_file;

commit;
pragma foreign_keys = on;
