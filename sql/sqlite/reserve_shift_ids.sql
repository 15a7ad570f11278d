-- Reserves $1 shift ids and returns the first; one statement, so it is atomic under SQLite's
-- single write lock.
update shift_id_sequence set next_shift_id = next_shift_id + $1 returning next_shift_id - $1
