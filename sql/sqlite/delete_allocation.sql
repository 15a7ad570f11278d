-- A shift's allocation rows: one key range (store::shifts::allocation_keys), so no index on
-- shift_id is needed.
delete from allocation where allocation_id >= ?1 and allocation_id < ?2
