-- {copy}, {live}: the schemas; {table}: the table; all quoted.
insert into {copy}.{table} select * from {live}.{table}
