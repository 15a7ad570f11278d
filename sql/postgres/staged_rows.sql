-- Staged rows grouped by shift, with the stored version of each shift if there is one.
select r.row_no, r.worker_id, r.shift_ref, r.start_utc, r.end_utc, r.service_code, r.people,
       r.miles, r.notes, r.error_field, r.error_reason,
       s.shift_id, s.content_hash, s.status, s.version
from import_row r
left join shift s on s.worker_id = r.worker_id and s.shift_ref = r.shift_ref
where r.import_file_id = $1
order by r.worker_id, r.shift_ref, r.row_no
