-- Takes the run lease from a holder found dead, unless someone took it in the meantime (the
-- token read with the dead holder is no longer current); the new token fences out the old holder.
update run_lease set holder = $2, token = token + 1, expires_at = $3,
    holder_host = $5, holder_boot_id = $6, holder_pid_namespace = $7, holder_pid = $8
where name = $1 and token = $4 and holder is not null
returning token
