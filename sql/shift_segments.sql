select shift_id, segment_no, start_utc, end_utc, service_code, people, miles, notes
from segment
where shift_id = $1
order by segment_no
