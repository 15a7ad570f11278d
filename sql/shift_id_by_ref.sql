select shift_id from shift where worker_id = $1 and shift_ref = $2
