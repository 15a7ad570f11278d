-- Stored shifts of the same worker whose segments overlap a staged row (rules.md S2).
-- window_start_utc bounds the index range scan: no segment is longer than the segment limit.
select distinct r.worker_id, r.shift_ref, sh.shift_ref as other_ref
from import_row r
join segment g
  on g.worker_id = r.worker_id
 and g.start_utc >= r.window_start_utc
 and g.start_utc < r.end_utc
 and g.end_utc > r.start_utc
join shift sh on sh.shift_id = g.shift_id
where r.import_file_id = $1
  and r.error_reason is null
  and sh.shift_ref <> r.shift_ref
  and sh.status in ('submitted', 'approved')
order by r.worker_id, r.shift_ref, other_ref
