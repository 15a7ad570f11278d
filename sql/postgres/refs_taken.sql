-- Which of these (worker, shift_ref) keys are already stored: a new shift whose key another
-- writer stored meanwhile.
select k.worker_id, k.shift_ref
from unnest($1::text[], $2::text[]) as k(worker_id, shift_ref)
join shift sh on sh.worker_id = k.worker_id and sh.shift_ref = k.shift_ref
