-- Only one sender can move a message from pending to sending.
update outbox set status = 'sending', sent_by = $2 where message_id = $1 and status = 'pending'
