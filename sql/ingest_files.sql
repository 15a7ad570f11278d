select file_name, sha256, kind, outcome, rows_read, shifts_new, shifts_amended, shifts_unchanged, shifts_rejected, rows_rejected, detail
from ingest_file where job_run_id = $1 order by file_name
