-- Records a step's outcome, only for the run that still holds it.
update job_run set status = $3, finished_at = $4, counts = $5, amount_pence = $6, warnings = $7, error = $8
where job_run_id = $1 and fencing_token = $2
