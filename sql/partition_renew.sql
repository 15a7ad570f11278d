-- Fences a worker's write: it extends the lease only while the worker still owns it.
update work_partition set lease_expires_at = $5
where step = $1 and run_key = $2 and partition_key = $3 and lease_token = $4 and status = 'claimed'
