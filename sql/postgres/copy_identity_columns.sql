-- The identity columns of table $2 in schema $1.
select column_name::text from information_schema.columns
where table_schema = $1 and table_name = $2 and is_identity = 'YES'
order by column_name
