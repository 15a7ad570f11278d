insert into sign_in_link (link_sha256, token_id, created_at, expires_at) values ($1, $2, $3, $4)
