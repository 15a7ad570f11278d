-- Rejected shift rows, of every import or ($1) of the files with one name; open ones only, or
-- ($2) resolved ones too.
select f.file_name as file, r.row_no as "row", r.worker_id, r.shift_ref, r.field, r.reason,
       r.resolved_at, r.resolved_by
from shift_reject r
join import_file f on f.import_file_id = r.import_file_id
where ($1 = '' or f.file_name = $1)
  and ($2 or r.resolved_at is null)
order by f.last_imported_at, f.file_name, r.row_no
