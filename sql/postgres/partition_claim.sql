-- Claims the first open partition no other worker holds; an expired claim is open again.
update work_partition w
set status = 'claimed', lease_owner = $1, lease_token = w.lease_token + 1, lease_expires_at = $2
from (
    select step, run_key, partition_key from work_partition
    where status = 'pending' or (status = 'claimed' and lease_expires_at <= $3)
    order by step, run_key, partition_key
    limit 1
    for update skip locked
) c
where w.step = c.step and w.run_key = c.run_key and w.partition_key = c.partition_key
returning w.step, w.run_key, w.partition_key, w.lease_token, w.result
