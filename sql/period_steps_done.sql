-- Periods whose period-charges step is done: their files have been written.
select run_key from job_run where step = 'period-charges' and status = 'done' order by run_key
