select max(run_key) from job_run where step = $1 and status = 'done'
