-- The rows of a shift file being imported, in a temporary table of the importing connection:
-- appended in file order (a plain rowid table, no index to keep up), sorted once when read back,
-- and gone with the connection. The stored shift of each key is attached after staging, so the
-- read-back touches only the temporary database and never holds a snapshot of the main one.
create temp table import_row (
    import_file_id integer not null,
    row_no integer not null,
    worker_id text not null,
    shift_ref text not null,
    start_utc integer,
    end_utc integer,
    service_code text not null,
    people text not null,
    miles text not null,
    notes text not null,
    error_field text,
    error_reason text,
    shift_id integer,
    content_hash text,
    status text,
    version integer
)
