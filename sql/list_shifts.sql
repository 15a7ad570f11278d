-- Shifts in a scope, newest first; the caller appends the scope's filters, the order and the limit.
select s.shift_id, s.worker_id, s.shift_ref, s.status, s.version, s.source, s.content_hash,
       s.decision_reason, s.decided_by, s.first_start_utc, s.last_end_utc, s.created_at,
       s.updated_at
from shift s
join worker w on w.worker_id = s.worker_id
where 1 = 1
