-- A new API token; the secret itself is never stored, only its digest.
insert into api_token (token_id, secret_sha256, role, subjects, label, created_at, expires_at)
values ($1, $2, $3, $4, $5, $6, $7)
