select token_id, secret_sha256, role, subjects, label, created_at, expires_at, revoked_at
from api_token
where token_id = $1
