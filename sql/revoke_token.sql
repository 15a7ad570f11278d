-- Revoking a token ends its sessions and sign-in links too: both are checked against it.
update api_token set revoked_at = $2 where token_id = $1 and revoked_at is null
