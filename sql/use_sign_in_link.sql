-- A link works once: the update that marks it used is the check.
update sign_in_link set used_at = $2
where link_sha256 = $1 and used_at is null and expires_at > $2
returning token_id
