-- Whether any file has been imported under this name.
select count(*) from import_file where file_name = $1
