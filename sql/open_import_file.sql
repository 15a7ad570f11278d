-- One row per (kind, file content, importer's scope): importing the same bytes again in the same
-- scope reuses it, keeping the name it was first imported under. $7 is the status 'running'.
insert into import_file (kind, file_name, sha256, scope, status, first_imported_at, last_imported_at, job_run_id)
values ($1, $2, $3, $6, $7, $4, $4, $5)
on conflict (kind, sha256, scope) do update set status = excluded.status, last_imported_at = excluded.last_imported_at, job_run_id = excluded.job_run_id
returning import_file_id
