-- One row per (kind, file content): importing the same bytes again reuses it.
insert into import_file (kind, file_name, sha256, status, first_imported_at, last_imported_at, job_run_id)
values ($1, $2, $3, 'running', $4, $4, $5)
on conflict (kind, sha256) do update set file_name = excluded.file_name, status = 'running', last_imported_at = excluded.last_imported_at, job_run_id = excluded.job_run_id
returning import_file_id
