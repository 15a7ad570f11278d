-- The stored version of a shift.
select version from shift where shift_id = $1
