select token_id from web_session where session_sha256 = $1 and expires_at > $2
