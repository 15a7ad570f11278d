-- Every token, newest first (digests are read but never shown).
select token_id, secret_sha256, role, subjects, label, created_at, expires_at, revoked_at
from api_token
order by created_at desc, token_id
