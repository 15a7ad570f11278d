-- The message id is deterministic: enqueueing the same message again keeps the first.
insert into outbox (message_id, kind, recipients, subject, body, created_at, status)
values ($1, $2, $3, $4, $5, $6, 'pending')
on conflict (message_id) do nothing
