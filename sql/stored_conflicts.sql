-- Stored shifts of the same worker whose segments overlap a staged row (rules.md S2).
-- $2 is the longest shift in seconds (SHIFT_SPAN_MINUTES_MAX): a stored shift that overlaps the
-- row starts at most that long before it, which bounds the index range scan over the worker's
-- shifts; their segments are then compared exactly.
select distinct r.worker_id, r.shift_ref, sh.shift_ref as other_ref
from import_row r
join shift sh
  on sh.worker_id = r.worker_id
 and sh.first_start_utc >= r.start_utc - $2
 and sh.first_start_utc < r.end_utc
 and sh.last_end_utc > r.start_utc
join segment g
  on g.shift_id = sh.shift_id
 and g.start_utc < r.end_utc
 and g.end_utc > r.start_utc
where r.import_file_id = $1
  and r.error_reason is null
  and sh.shift_ref <> r.shift_ref
  and sh.status in ('submitted', 'approved')
order by r.worker_id, r.shift_ref, other_ref
