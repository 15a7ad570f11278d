-- Sets the copied table's identity sequence past its copied ids. $1: the table as
-- "schema"."table"; $2: the column's name. {copy}, {table}, {column}: the same, quoted.
select setval(pg_get_serial_sequence($1, $2),
              coalesce((select max({column}) from {copy}.{table}), 0) + 1, false)
