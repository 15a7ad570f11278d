select f.file_name as file, r.row_no as "row", r.worker_id, r.shift_ref, r.field, r.reason,
       r.resolved_at, r.resolved_by
from shift_reject r
join import_file f on f.import_file_id = r.import_file_id
where r.import_file_id = $1
order by r.row_no
