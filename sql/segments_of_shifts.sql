-- Segments of listed shifts; the caller appends "where shift_id in (...)" and the order.
select shift_id, segment_no, start_utc, end_utc, service_code, people, miles, notes
from segment
