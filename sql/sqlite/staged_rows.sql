-- Staged rows grouped by shift, with the stored version attached (sql/sqlite/attach_stored.sql).
select row_no, worker_id, shift_ref, start_utc, end_utc, service_code, people, miles, notes,
       error_field, error_reason, shift_id, content_hash, status, version
from temp.import_row
where import_file_id = $1
order by worker_id, shift_ref, row_no
