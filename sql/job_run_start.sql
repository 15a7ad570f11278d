-- Starts (or resumes) a step. A completed step is only started again when forced.
insert into job_run (step, run_key, status, attempts, fencing_token, started_at)
values ($1, $2, 'running', 1, $3, $4)
on conflict (step, run_key) do update set
    status = 'running', attempts = job_run.attempts + 1, fencing_token = excluded.fencing_token,
    started_at = excluded.started_at, finished_at = null, error = null
where job_run.status <> 'done' or $5
returning job_run_id
