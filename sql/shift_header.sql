select shift_id, worker_id, shift_ref, status, version, source, content_hash, decision_reason,
       decided_by, first_start_utc, last_end_utc, created_at, updated_at
from shift
where shift_id = $1
