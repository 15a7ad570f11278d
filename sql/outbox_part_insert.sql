-- One part of a message being queued, in the transaction that queues the message.
insert into outbox_part (message_id, part_no, role, file_name, content_type, content)
values ($1, $2, $3, $4, $5, $6)
