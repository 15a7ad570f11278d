update shift set needs_costing = $1 where worker_id = $2
