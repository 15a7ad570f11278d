-- {copy}, {live}: the schemas; {table}: the table; all quoted.
create table {copy}.{table} (like {live}.{table} including all)
