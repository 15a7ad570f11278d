-- A stored shift's status with its segments, in order: what an audit row keeps of the shift a
-- change replaces.
select s.status, g.start_utc, g.end_utc, g.service_code, g.people, g.miles, g.notes
from shift s
join segment g on g.shift_id = s.shift_id
where s.shift_id = $1
order by g.segment_no
