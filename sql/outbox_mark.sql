update outbox set status = $2, attempts = attempts + $3, sent_at = $4, last_error = $5 where message_id = $1
