-- Resolves the open rejects of shifts accepted now, given as parallel arrays of workers ($1)
-- and shift references ($2): when ($3) and by what ($4).
update shift_reject r set resolved_at = $3, resolved_by = $4
from unnest($1::text[], $2::text[]) as k (worker_id, shift_ref)
where r.worker_id = k.worker_id and r.shift_ref = k.shift_ref and r.resolved_at is null
