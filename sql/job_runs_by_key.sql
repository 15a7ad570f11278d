select job_run_id, step, run_key, status, attempts, started_at, finished_at, counts, amount_pence, warnings, error
from job_run where run_key = $1 or run_key = $2 order by job_run_id
