select job_run_id, step, run_key, status, attempts, started_at, finished_at, counts, amount_pence, warnings, error
from job_run where step = $1 and run_key = $2
