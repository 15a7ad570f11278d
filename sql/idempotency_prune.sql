-- Keys are kept long enough for any client's retries, then forgotten.
delete from idempotency_key where created_at < $1
