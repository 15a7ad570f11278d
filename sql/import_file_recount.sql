-- Corrects a finished import's counts of new, amended and unchanged shifts.
update import_file set shifts_new = $2, shifts_amended = $3, shifts_unchanged = $4
where import_file_id = $1
