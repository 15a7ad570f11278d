delete from import_row where import_file_id = $1
