delete from web_session where session_sha256 = $1
