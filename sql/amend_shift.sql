-- Replaces a shift's header for an amendment, only if it is still the version that was read. An
-- amended shift awaits a new decision, so any earlier one is cleared.
update shift
set version = $2 + 1, content_hash = $3, status = $4, source = $5, first_start_utc = $6,
    last_end_utc = $7, needs_costing = $8, updated_at = $9, decision_reason = '', decided_by = '',
    decided_at = null
where shift_id = $1 and version = $2
