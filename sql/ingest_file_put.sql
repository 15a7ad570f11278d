insert into ingest_file (job_run_id, file_name, sha256, kind, outcome, rows_read, shifts_new, shifts_amended, shifts_unchanged, shifts_rejected, rows_rejected, detail)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
on conflict (job_run_id, file_name, sha256) do update set kind = excluded.kind,
    outcome = excluded.outcome, rows_read = excluded.rows_read, shifts_new = excluded.shifts_new,
    shifts_amended = excluded.shifts_amended, shifts_unchanged = excluded.shifts_unchanged,
    shifts_rejected = excluded.shifts_rejected, rows_rejected = excluded.rows_rejected, detail = excluded.detail
