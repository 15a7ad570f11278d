insert into idempotency_key (principal, idempotency_key, request_sha256, shift_id, status_code,
                             response_body, created_at)
values ($1, $2, $3, $4, $5, $6, $7)
