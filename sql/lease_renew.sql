-- Extends the lease only while this holder still owns it.
update run_lease set expires_at = $3 where name = $1 and token = $2 and holder is not null
