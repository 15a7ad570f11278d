select f.file_name as file, r.row_no as "row", r.worker_id, r.shift_ref, r.field, r.reason
from shift_reject r
join import_file f on f.import_file_id = r.import_file_id
where ($1 = '' or f.file_name = $1)
order by f.last_imported_at, f.file_name, r.row_no
