-- The stored versions of shifts an import batch amends, read after locking their workers.
select shift_id, version from shift where shift_id = any($1)
