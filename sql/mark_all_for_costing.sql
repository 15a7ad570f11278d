update shift set needs_costing = $1
