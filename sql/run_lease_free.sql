-- Frees the run lease of a database copy: a live run's lease is not the copy's business.
update run_lease set holder = null, expires_at = 0
