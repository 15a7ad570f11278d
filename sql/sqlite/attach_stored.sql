-- The stored version of each staged shift, if there is one.
update temp.import_row as r
set shift_id = s.shift_id, content_hash = s.content_hash, status = s.status, version = s.version
from main.shift s
where s.worker_id = r.worker_id and s.shift_ref = r.shift_ref
