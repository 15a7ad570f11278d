-- Resolves the open rejects of a shift accepted now ($1 worker, $2 shift reference): when ($3)
-- and by what ($4: the file it was imported from, or who submitted it).
update shift_reject set resolved_at = $3, resolved_by = $4
where worker_id = $1 and shift_ref = $2 and resolved_at is null
