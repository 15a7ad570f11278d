-- Segments of shifts whose costs are out of date, of workers in one cost centre ('' for shifts
-- whose worker is unknown), shift by shift.
select s.shift_id, s.worker_id, s.shift_ref, g.segment_no, g.start_utc, g.end_utc, g.service_code, g.people
from shift s
join segment g on g.shift_id = s.shift_id
left join worker w on w.worker_id = s.worker_id
where s.needs_costing = $1 and coalesce(w.cost_centre_id, '') = $2
order by s.shift_id, g.segment_no
