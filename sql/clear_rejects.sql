delete from shift_reject where import_file_id = $1
