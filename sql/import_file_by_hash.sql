select import_file_id, status, job_run_id, file_name, first_imported_at, last_imported_at, rows_read, shifts_new, shifts_amended, shifts_unchanged, shifts_rejected, rows_rejected
from import_file where kind = $1 and sha256 = $2 and scope = ''
