update shift
set version = version + 1, content_hash = $2, status = $3, source = $4, first_start_utc = $5,
    last_end_utc = $6, needs_costing = $7, updated_at = $8
where shift_id = $1
returning version
