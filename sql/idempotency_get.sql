select request_sha256, shift_id, status_code, response_body
from idempotency_key
where principal = $1 and idempotency_key = $2
