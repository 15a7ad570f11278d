-- Claims the first open partition; SQLite's single writer makes the claim exclusive.
update work_partition
set status = 'claimed', lease_owner = $1, lease_token = lease_token + 1, lease_expires_at = $2
where rowid = (
    select rowid from work_partition
    where status = 'pending' or (status = 'claimed' and lease_expires_at <= $3)
    order by step, run_key, partition_key
    limit 1
)
returning step, run_key, partition_key, lease_token, result
