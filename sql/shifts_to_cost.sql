-- Segments of shifts whose costs are out of date, shift by shift.
select s.shift_id, s.worker_id, s.shift_ref, g.segment_no, g.start_utc, g.end_utc, g.service_code, g.people
from shift s
join segment g on g.shift_id = s.shift_id
where s.needs_costing = $1
order by s.shift_id, g.segment_no
