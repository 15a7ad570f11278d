-- The tables of the live schema, without sqlx's migration bookkeeping.
select table_name::text from information_schema.tables
where table_schema = current_schema() and table_type = 'BASE TABLE'
  and table_name not like '\_sqlx%'
order by table_name
