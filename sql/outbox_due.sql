select message_id, kind, recipients, subject, body, created_at, status, attempts
from outbox where status in ('pending', 'sending') order by created_at, message_id limit $1
