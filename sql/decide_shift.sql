-- Approves, rejects or withdraws the version of a shift that was read.
update shift
set status = $3, decision_reason = $4, decided_by = $5, decided_at = $6, updated_at = $6,
    version = version + 1
where shift_id = $1 and version = $2
