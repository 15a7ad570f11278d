-- Takes the run lease when it is free or has expired; the new token fences out the old holder.
update run_lease set holder = $2, token = token + 1, expires_at = $3,
    holder_host = $5, holder_boot_id = $6, holder_pid_namespace = $7, holder_pid = $8
where name = $1 and (holder is null or expires_at <= $4)
returning token
