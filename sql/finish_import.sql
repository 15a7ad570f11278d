-- Records a finished import's counts; $8 is the status 'done'.
update import_file
set status = $8, rows_read = $2, shifts_new = $3, shifts_amended = $4, shifts_unchanged = $5,
    shifts_rejected = $6, rows_rejected = $7
where import_file_id = $1
