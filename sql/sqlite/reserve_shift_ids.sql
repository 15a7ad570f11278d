-- Inside the write transaction SQLite holds the only write lock, so max + 1 is safe.
select coalesce(max(shift_id), 0) from shift
